// The UTF-8 toolkit (text/utf8.h) against a reference validator written from RFC 3629's table
// and against itself: lenient decoding steps agree with the counts, offsets and backward steps;
// an incomplete tail is exactly the cut-off part of a code point; normalize() gives valid,
// trimmed, collapsed text and is idempotent.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "text/utf8.h"

namespace {

namespace t = lector::text;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "utf8 invariant broken: %s\n", what);
  std::abort();
}

// RFC 3629, section 4: the well-formed byte sequences.
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
      n = 0;
    else if (c >= 0xC2 && c <= 0xDF)
      n = 1;
    else if (c == 0xE0)
      n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC)
      n = 2;
    else if (c == 0xED)
      n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF)
      n = 2;
    else if (c == 0xF0)
      n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
      n = 3;
    else if (c == 0xF4)
      n = 3, hi = 0x8F;
    else
      return false;
    if (i + n >= s.size()) return false;  // the sequence is cut off
    for (std::size_t k = 1; k <= n; ++k) {
      const unsigned x = b(i + k);
      if (x < (k == 1 ? lo : 0x80) || x > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t cut_pick = in.ConsumeIntegral<std::uint16_t>();
  const std::string s = in.ConsumeRemainingBytesAsString();
  const bool valid = t::is_valid_utf8(s);
  if (valid != reference_valid(s)) fail("is_valid_utf8 disagrees with RFC 3629");

  // Forward decoding: starts of code points, counted, located and walked back.
  std::vector<std::size_t> starts;
  std::string reencoded;
  for (std::size_t pos = 0; pos < s.size();) {
    starts.push_back(pos);
    const t::DecodedChar d = t::decode_at(s, pos);
    std::size_t next = pos;
    if (t::decode_next(s, next) != d.value || next != pos + d.length) fail("decode_next");
    if (d.length == 0 || pos + d.length > s.size()) fail("decode_at length");
    for (std::size_t k = pos; k < next; ++k)
      if (t::code_point_start(s, k) != pos) fail("code_point_start");
    if (t::previous_start(s, next) != pos) fail("previous_start");
    t::append_utf8(reencoded, d.value);
    pos = next;
  }
  if (t::count_code_points(s) != starts.size()) fail("count_code_points");
  for (std::size_t i = 0; i < starts.size(); ++i)
    if (t::utf8_offset(s, i) != starts[i]) fail("utf8_offset");
  if (t::utf8_offset(s, starts.size()) != s.size()) fail("utf8_offset past the end");
  if (valid && reencoded != s) fail("decode + append_utf8 is not the identity on valid text");
  if (!t::is_valid_utf8(reencoded)) fail("append_utf8 wrote invalid UTF-8");
  const std::size_t first = starts.empty() ? 0 : cut_pick % (starts.size() + 1);
  const std::string_view sub = t::utf8_substr(s, first, cut_pick % 7);
  if (sub.data() < s.data() || sub.data() + sub.size() > s.data() + s.size()) fail("utf8_substr");

  // A valid text cut anywhere: the incomplete tail is the cut-off part of its code point.
  if (valid && !s.empty()) {
    const std::size_t cut = cut_pick % (s.size() + 1);
    const std::size_t expected = cut == s.size() ? 0 : cut - t::code_point_start(s, cut);
    if (t::utf8_incomplete_tail(s.substr(0, cut)) != expected) fail("utf8_incomplete_tail");
  }
  if (t::utf8_incomplete_tail(s) > 3) fail("utf8_incomplete_tail over 3");

  const std::string n = t::normalize(s);
  if (!t::is_valid_utf8(n)) fail("normalize gave invalid UTF-8");
  if (!n.empty() && (n.front() == ' ' || n.back() == ' ')) fail("normalize did not trim");
  if (n.find("  ") != std::string::npos) fail("normalize left a double space");
  for (unsigned char c : n)
    if (c < 0x20 || c == 0x7F) fail("normalize left a control character");
  if (t::normalize(n) != n) fail("normalize is not idempotent");
  return 0;
}
