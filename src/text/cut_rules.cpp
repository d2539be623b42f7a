#include "text/cut_rules.h"

#include <unicode/uchar.h>

#include <algorithm>

#include "text/char_class.h"
#include "text/utf8.h"

namespace lector::text::detail {
namespace {

struct Char {
  char32_t value;
  std::size_t begin;  // byte offset of the code point in the piece being scanned
};

// Decodes at most `limit` code points from the start of `s`.
std::vector<Char> decode_prefix(std::string_view s, std::size_t limit) {
  std::vector<Char> chars;
  chars.reserve(std::min(limit, s.size()));
  std::size_t pos = 0;
  while (pos < s.size() && chars.size() < limit) {
    const std::size_t begin = pos;
    chars.push_back({decode_next(s, pos), begin});
  }
  return chars;
}

// No-break spaces hold things like "10 000" or "Dr. Smith" together on purpose, so a segment is
// never cut there; they are still trimmed from segment ends.
bool is_break_space(char32_t c) noexcept {
  return is_space(c) && c != 0x00A0 && c != 0x2007 && c != 0x202F;
}

enum class Clause {
  kNone,
  kSpaced,    // ends a clause only when white space follows: "a, b" but not "1,000" or "x:y"
  kUnspaced,  // CJK punctuation: those scripts put no space after it
};

Clause clause_kind(char32_t c) noexcept {
  switch (c) {
    case U',':
    case U';':
    case U':':
    case U'\u2014':  // em dash
    case U'\u2013':  // en dash
    case U'\u060C':  // Arabic comma
    case U'\u061B':  // Arabic semicolon
      return Clause::kSpaced;
    case U'\u3001':  // ideographic comma
    case U'\uFF0C':  // fullwidth comma
    case U'\uFF1B':  // fullwidth semicolon
    case U'\uFF1A':  // fullwidth colon
      return Clause::kUnspaced;
    default:
      return Clause::kNone;
  }
}

// If chars[j] ends a clause, returns the number of code points up to and including it and any
// closers after it; 0 otherwise. Requiring a following character also means a clause mark at
// the very end of the scanned text never counts: there would be nothing left to cut off.
std::size_t clause_end(const std::vector<Char>& chars, std::size_t j) noexcept {
  const Clause kind = clause_kind(chars[j].value);
  if (kind == Clause::kNone) return 0;
  std::size_t end = j + 1;
  while (end < chars.size() && is_closer(chars[end].value)) ++end;
  if (end >= chars.size()) return 0;
  if (kind == Clause::kSpaced && !is_space(chars[end].value)) return 0;
  return end;
}

// A cut must not separate a base letter from its accents, nor the parts of an emoji sequence.
bool joins_previous(const std::vector<Char>& chars, std::size_t k) noexcept {
  const auto c = static_cast<UChar32>(chars[k].value);
  return u_hasBinaryProperty(c, UCHAR_GRAPHEME_EXTEND) != 0 ||
         u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER) != 0 || chars[k].value == 0x200D ||
         chars[k - 1].value == 0x200D;
}

// Byte offset at which to cut `piece` so that the part before it has at most `cap` code points.
// `chars` holds the first cap + 1 code points of the piece, which is trimmed and longer than
// `cap`. Preference: the last clause end that fits, then the last breaking space that fits,
// then a hard cut at `cap` code points (only reached when one word is longer than the cap).
std::size_t find_cap_cut(const std::vector<Char>& chars, std::size_t cap) {
  std::size_t clause = 0;
  for (std::size_t j = 0; j < cap; ++j) {
    const std::size_t end = clause_end(chars, j);
    if (end != 0 && end <= cap) clause = std::max(clause, end);
  }
  if (clause != 0) return chars[clause].begin;

  // A space at index `cap` still fits: the `cap` code points before it form the first part.
  // Index 0 is never a space because the piece is trimmed.
  for (std::size_t j = cap; j > 0; --j) {
    if (is_break_space(chars[j].value)) return chars[j].begin;
  }

  std::size_t k = cap;
  while (k > 1 && joins_previous(chars, k)) --k;
  return chars[k].begin;
}

}  // namespace

bool is_clause_mark(char32_t c) noexcept {
  return clause_kind(c) != Clause::kNone;
}

std::size_t cap_cut(std::string_view piece, std::size_t cap) {
  const std::vector<Char> chars = decode_prefix(piece, cap + 1);
  if (chars.size() <= cap) return 0;
  return find_cap_cut(chars, cap);
}

void append_capped(std::string_view piece, std::size_t cap, std::vector<std::string_view>& out) {
  while (true) {
    // Every cut is past the first code point, so 0 means the piece fits.
    const std::size_t cut = cap_cut(piece, cap);
    if (cut == 0) {
      out.push_back(piece);
      return;
    }
    out.push_back(trim_right(piece.substr(0, cut)));
    // The piece ends in non-space, so the rest is never empty after trimming.
    piece = trim_left(piece.substr(cut));
  }
}

// Byte offset just after the first clause of `segment` preceded by at least `min_words` words
// that still leaves a word after it; 0 when there is none. A word is a white-space-separated
// token holding a letter or digit, or a single CJK character.
std::size_t find_first_fragment_cut(std::string_view segment, std::size_t min_words) {
  const std::vector<Char> chars = decode_prefix(segment, segment.size());
  std::size_t last_word_char = chars.size();
  for (std::size_t i = chars.size(); i > 0; --i) {
    if (is_word_char(chars[i - 1].value)) {
      last_word_char = i - 1;
      break;
    }
  }
  if (last_word_char == chars.size()) return 0;

  std::size_t words = 0;
  bool token_counted = false;
  for (std::size_t j = 0; j < chars.size(); ++j) {
    const char32_t c = chars[j].value;
    if (is_space(c)) {
      token_counted = false;
      continue;
    }
    if (is_word_per_char(c)) {
      ++words;
    } else if (!token_counted && is_word_char(c)) {
      ++words;
      token_counted = true;
    }
    if (words < min_words) continue;
    const std::size_t end = clause_end(chars, j);
    if (end == 0) continue;
    // Later clause ends leave even less behind, so the first that leaves no word ends the search.
    if (end > last_word_char) return 0;
    return chars[end].begin;
  }
  return 0;
}

void split_first_fragment(std::vector<std::string_view>& pieces, std::size_t min_words) {
  if (min_words == 0 || pieces.empty()) return;
  const std::string_view first = pieces.front();
  const std::size_t cut = find_first_fragment_cut(first, min_words);
  if (cut == 0) return;
  pieces.front() = trim_right(first.substr(0, cut));
  pieces.insert(pieces.begin() + 1, trim_left(first.substr(cut)));
}

}  // namespace lector::text::detail
