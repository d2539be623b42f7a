// The SSML parser (text/ssml.h) on any bytes: it either refuses the document with
// Error(kBadParameter) naming the parameter, or returns pieces that keep its promises — speech
// pieces non-empty, trimmed valid UTF-8; pauses within their caps; prosody inside the server's
// ranges; no more elements or pause than the limits allow. Small limits make the caps reachable.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "text/ssml.h"
#include "text/utf8.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "ssml invariant broken: %s\n", what);
  std::abort();
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  lector::text::SsmlLimits limits;
  limits.max_depth = in.ConsumeIntegralInRange<std::size_t>(1, 16);
  limits.max_elements = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  limits.max_break_ms = in.ConsumeIntegralInRange<int>(1, 10000);
  limits.max_total_pause_ms = in.ConsumeIntegralInRange<int>(1, 60000);
  const std::string doc = in.ConsumeRemainingBytesAsString();
  (void)lector::text::looks_like_ssml(doc);
  try {
    const auto pieces = lector::text::parse_ssml(doc, limits, "text");
    int total_pause = 0;
    for (const auto& p : pieces) {
      if (p.is_pause()) {
        if (!p.text.empty()) fail("a pause with text");
        if (p.break_ms > limits.max_break_ms) fail("a pause over max_break_ms");
        total_pause += p.break_ms;
        continue;
      }
      if (p.text.empty()) fail("an empty speech piece");
      if (!lector::text::is_valid_utf8(p.text)) fail("speech that is not valid UTF-8");
      if (is_space(p.text.front()) || is_space(p.text.back())) fail("untrimmed speech");
      if (p.params.speed < 0 || p.params.pitch < 0 || p.params.volume < 0)
        fail("a negative prosody multiplier");
    }
    if (total_pause > limits.max_total_pause_ms) fail("pauses over max_total_pause_ms");
  } catch (const lector::Error& e) {
    if (e.code() != lector::ErrorCode::kBadParameter || e.param() != "text")
      fail("a refusal that is not a 400 naming the parameter");
  }
  return 0;
}
