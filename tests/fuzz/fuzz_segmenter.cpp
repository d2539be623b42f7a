// The incremental segmenter against the whole-text segmenter: any split of a text, fed and
// flushed, gives exactly split_segments(normalize(text)) (the contract in text/incremental.h).
// With quiet-period flushes in between (which may cut differently, by design), the weaker
// invariants still hold: segments trimmed and non-empty, at most max_segment_chars code points,
// and together every non-space character of the normalized text, in order.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "text/incremental.h"
#include "text/segmenter.h"
#include "text/utf8.h"

namespace {

using lector::text::count_code_points;

// What the failing input was run with, for the report.
std::string context;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "segmenter invariant broken: %s: %s\n(%s)\n", what, detail.c_str(),
               context.c_str());
  std::abort();
}

std::string without_spaces(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

void check_segments(const std::vector<std::string>& segments, std::size_t cap,
                    const std::string& normalized) {
  std::string joined;
  for (const std::string& s : segments) {
    if (s.empty()) fail("empty segment", normalized);
    if (s.front() == ' ' || s.back() == ' ') fail("untrimmed segment", s);
    if (count_code_points(s) > cap) fail("segment over the cap", s);
    joined += s;
  }
  if (without_spaces(joined) != without_spaces(normalized))
    fail("segments do not add up to the text", normalized);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static constexpr const char* kLanguages[] = {"en", "de", "cmn", "ja", "ar", "fr", "xx-yy"};
  const char* language = in.PickValueInArray(kLanguages);
  lector::text::IncrementalOptions options;
  options.segmenter.max_segment_chars = in.ConsumeIntegralInRange<std::size_t>(2, 120);
  options.segmenter.first_fragment_min_words = in.ConsumeIntegralInRange<std::size_t>(0, 4);
  options.min_quiet_flush_chars = in.ConsumeIntegralInRange<std::size_t>(1, 40);
  const bool quiet_flushes = in.ConsumeBool();
  std::minstd_rand split(in.ConsumeIntegral<std::uint32_t>());
  const std::string text = in.ConsumeRemainingBytesAsString();

  lector::text::IncrementalSegmenter segmenter(language, options);
  std::vector<std::string> got;
  // on_quiet() once emitted a pending run without spaces longer than the cap whole (found by
  // this fuzzer; its input is corpus/fuzz_segmenter/quiet-over-cap, replayed by every run).
  auto take = [&got](std::vector<std::string> more) {
    got.insert(got.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  };
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t n = std::min<std::size_t>(1 + split() % 12, text.size() - pos);
    take(segmenter.feed(std::string_view(text).substr(pos, n)));
    pos += n;
    if (quiet_flushes && split() % 4 == 0) take(segmenter.on_quiet());
  }
  take(segmenter.flush());
  if (segmenter.pending_chars() != 0) fail("text pending after flush", text);

  // Only valid UTF-8 reaches the segmenter in the server (api::clean_text checks it first);
  // other input just has to be survived.
  if (!lector::text::is_valid_utf8(text)) return 0;
  const std::string normalized = lector::text::normalize(text);
  context = std::string("language ") + language + ", cap " +
            std::to_string(options.segmenter.max_segment_chars) + ", first fragment " +
            std::to_string(options.segmenter.first_fragment_min_words) + " words, quiet flushes " +
            (quiet_flushes ? "yes" : "no") + ", segments:";
  for (const auto& seg : got) context += " [" + seg + "]";
  check_segments(got, options.segmenter.max_segment_chars, normalized);
  if (!quiet_flushes) {
    const auto whole = lector::text::split_segments(normalized, language, options.segmenter);
    if (got != whole) fail("fed in pieces differs from split_segments", normalized);
  }
  return 0;
}
