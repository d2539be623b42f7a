#include "text/utf8.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

#include "text/char_class.h"

namespace lector::text {
namespace {

// ICU's macros read bytes as uint8_t; a char pointer would mix signed and unsigned arithmetic.
const std::uint8_t* bytes_of(std::string_view s) noexcept {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

constexpr char32_t kReplacement = 0xFFFD;

// Unicode's White_Space property; every one of these becomes a plain space.
constexpr bool is_white_space(char32_t c) noexcept {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// C0 and C1 controls (DEL included) and the byte-order mark carry nothing a voice can read; a
// stray U+FEFF in the middle of text is usually a concatenated file's BOM.
constexpr bool is_removed(char32_t c) noexcept {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xFEFF;
}

}  // namespace

DecodedChar decode_at(std::string_view s, std::size_t pos) noexcept {
  // U8_NEXT follows Unicode's table of well-formed byte sequences (Table 3-7): it rejects
  // overlongs, surrogates and values above U+10FFFF and never reads past `size`. On an error it
  // skips the whole ill-formed subsequence; here only its first byte is consumed, so that a
  // truncated sequence reads the same whether or not more bytes follow it (see
  // utf8_incomplete_tail).
  std::size_t next = pos;
  UChar32 c = 0;
  U8_NEXT(bytes_of(s), next, s.size(), c);
  if (c < 0) return {kReplacement, 1};
  return {static_cast<char32_t>(c), next - pos};
}

char32_t decode_next(std::string_view s, std::size_t& pos) noexcept {
  const DecodedChar d = decode_at(s, pos);
  pos += d.length;
  return d.value;
}

std::size_t previous_start(std::string_view s, std::size_t end) noexcept {
  // The sequence ending at `end` starts at the last byte that is not a trail byte; it counts
  // only if U8_NEXT reads a well-formed sequence from there to exactly `end`. U8_PREV would find
  // the same sequences, but it steps back over an ill-formed run as one unit, which decode_at
  // reads byte by byte.
  const std::string_view before = s.substr(0, end);
  for (std::size_t back = 1; back <= std::min<std::size_t>(U8_MAX_LENGTH, end); ++back) {
    if (U8_IS_TRAIL(bytes_of(before)[end - back])) continue;
    return decode_at(before, end - back).length == back ? end - back : end - 1;
  }
  return end - 1;
}

std::size_t code_point_start(std::string_view s, std::size_t pos) noexcept {
  if (!U8_IS_TRAIL(bytes_of(s)[pos])) return pos;
  // Trail bytes never start a sequence, so at most one of the three bytes before `pos` can start
  // a well-formed sequence that covers it.
  for (std::size_t back = 1; back < U8_MAX_LENGTH && back <= pos; ++back) {
    const DecodedChar d = decode_at(s, pos - back);
    if (d.length > back) return pos - back;
  }
  return pos;
}

bool is_valid_utf8(std::string_view s) noexcept {
  const std::uint8_t* bytes = bytes_of(s);
  std::size_t pos = 0;
  while (pos < s.size()) {
    UChar32 c = 0;
    U8_NEXT(bytes, pos, s.size(), c);
    if (c < 0) return false;
  }
  return true;
}

std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < s.size(); ++count) {
    // Most text is ASCII; skipping it byte by byte avoids a call per character.
    if (U8_IS_SINGLE(bytes_of(s)[pos])) {
      ++pos;
    } else {
      decode_next(s, pos);
    }
  }
  return count;
}

std::size_t utf8_offset(std::string_view s, std::size_t index) noexcept {
  std::size_t pos = 0;
  for (std::size_t n = 0; n < index && pos < s.size(); ++n) decode_next(s, pos);
  return pos;
}

std::string_view utf8_substr(std::string_view s, std::size_t first, std::size_t count) noexcept {
  const std::string_view rest = s.substr(utf8_offset(s, first));
  return rest.substr(0, utf8_offset(rest, count));
}

std::size_t utf8_incomplete_tail(std::string_view s) noexcept {
  // The sequence at the end starts at the last byte that is not a trail byte; a lead byte more
  // than three bytes back would start a sequence that is complete or too long.
  for (std::size_t back = 1; back <= std::min<std::size_t>(3, s.size()); ++back) {
    const std::uint8_t byte = bytes_of(s)[s.size() - back];
    if (U8_IS_TRAIL(byte)) continue;
    // ASCII and the bytes that never lead a sequence (C0, C1, F5..FF) end nothing incomplete.
    if (!U8_IS_LEAD(byte)) return 0;
    if (static_cast<std::size_t>(U8_COUNT_TRAIL_BYTES(byte)) + 1 <= back) return 0;
    // Reaching the end means every byte read so far fits a well-formed sequence; "E0 80" stops
    // after E0 because no U+0800..U+0FFF sequence has 80 second.
    std::size_t pos = s.size() - back;
    UChar32 c = 0;
    U8_NEXT(bytes_of(s), pos, s.size(), c);
    return pos == s.size() ? back : 0;
  }
  return 0;
}

void append_utf8(std::string& out, char32_t c) {
  std::uint8_t buffer[U8_MAX_LENGTH];
  std::size_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, c);
  out.append(reinterpret_cast<const char*>(buffer), length);
}

std::string normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  // A space is only written when the next visible character arrives, so runs collapse to one
  // space and nothing trails; `out.empty()` keeps leading whitespace from being written at all.
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < s.size()) {
    // Valid input is a precondition; should it be violated, each bad byte becomes U+FFFD so
    // the output is still valid UTF-8 and nothing is read out of bounds.
    const char32_t c = decode_next(s, pos);

    // White space is tested first: tab, LF, CR and NEL are controls that must become spaces.
    if (is_white_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (is_removed(c)) continue;
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    append_utf8(out, c);
  }
  return out;
}

bool has_word_char(std::string_view s) noexcept {
  for (std::size_t pos = 0; pos < s.size();)
    if (detail::is_word_char(decode_next(s, pos))) return true;
  return false;
}

}  // namespace lector::text
