#pragma once
// The one UTF-8 toolkit of the server, built on ICU's U8_* macros: checks, decoding, code point
// offsets, the incomplete tail of a streamed buffer, and clean-up of user text. Pure functions,
// callable from any thread; nothing here owns memory beyond the strings it returns.
//
// Ill-formed input: the lenient functions (decode_at, decode_next, previous_start,
// count_code_points, utf8_offset, utf8_substr, normalize) read every byte that does not start a
// well-formed sequence as one U+FFFD of length 1, so they never read out of bounds and a truncated
// sequence costs as many replacement characters as it has bytes. On valid UTF-8 they are exact.

#include <cstddef>
#include <string>
#include <string_view>

namespace lector::text {

// One decoded code point and the number of bytes it takes.
struct DecodedChar {
  char32_t value = 0;
  std::size_t length = 0;
};

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Number of code points in `s` (an ill-formed byte counts as one).
std::size_t count_code_points(std::string_view s) noexcept;

// The code point starting at byte `pos` (< s.size()) and its length in bytes; U+FFFD of length
// 1 when no well-formed sequence starts there.
DecodedChar decode_at(std::string_view s, std::size_t pos) noexcept;

// Decodes the code point at `pos` (< s.size()) and advances `pos` past it, as decode_at.
char32_t decode_next(std::string_view s, std::size_t& pos) noexcept;

// Start of the code point that ends just before `end` (0 < end <= s.size()): the start of a
// well-formed sequence ending there, else end - 1. Agrees with decode_at: when `end` is where
// one code point ends reading forwards (or s.size()), decode_at at the result reads up to `end`.
std::size_t previous_start(std::string_view s, std::size_t end) noexcept;

// Start of the code point that holds byte `pos` (< s.size()), as decode_at reads `s` from its
// start: `pos` itself unless it is a trail byte of a well-formed sequence.
std::size_t code_point_start(std::string_view s, std::size_t pos) noexcept;

// Byte offset of code point number `index` (counting from 0); s.size() when `s` has fewer.
std::size_t utf8_offset(std::string_view s, std::size_t index) noexcept;

// At most `count` code points of `s` starting at code point `first`; both are clamped to the
// string, so a start past the end gives an empty view. A view into `s`.
std::string_view utf8_substr(std::string_view s, std::size_t first, std::size_t count) noexcept;

// Bytes at the end of `s` that are a well-formed but incomplete UTF-8 sequence, 1 to 3; 0 when
// `s` ends complete or with bytes no continuation could make valid. For streamed input: keep
// that many bytes for the next chunk, and everything before them decodes as it would in the
// whole text, since a sequence that can still be completed is the only one whose reading
// depends on what follows.
std::size_t utf8_incomplete_tail(std::string_view s) noexcept;

// True when `s` holds a letter or a digit (a word, not only spaces and punctuation).
bool has_word_char(std::string_view s) noexcept;

// Appends the UTF-8 encoding of `c`, which must be a Unicode scalar value.
void append_utf8(std::string& out, char32_t c);

// Removes C0/C1 control characters (and U+FEFF), turning tabs, newlines and other line
// separators into a space; collapses runs of whitespace to one space and trims both ends.
// Input must be valid UTF-8 (should it not be, each ill-formed byte becomes U+FFFD).
std::string normalize(std::string_view s);

}  // namespace lector::text
