#include "text/char_class.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <cstddef>

#include "text/utf8.h"

namespace lector::text::detail {
namespace {

UChar32 as_uchar32(char32_t c) noexcept {
  return static_cast<UChar32>(c);
}

}  // namespace

bool is_space(char32_t c) noexcept {
  return u_isUWhiteSpace(as_uchar32(c)) != 0;
}

bool is_word_char(char32_t c) noexcept {
  return u_isalnum(as_uchar32(c)) != 0;
}

bool is_word_per_char(char32_t c) noexcept {
  const UChar32 u = as_uchar32(c);
  if (u_hasBinaryProperty(u, UCHAR_IDEOGRAPHIC) != 0) return true;
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(u, &status);
  return U_SUCCESS(status) && (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA);
}

// Opening quotes and brackets may stand before an abbreviation: "(Dr. Smith)".
bool is_opener(char32_t c) noexcept {
  if (c == U'"' || c == U'\'' || c == U'\u00BF' || c == U'\u00A1') return true;
  const auto type = static_cast<UCharCategory>(u_charType(as_uchar32(c)));
  return type == U_START_PUNCTUATION || type == U_INITIAL_PUNCTUATION;
}

// Closing quotes and brackets belong to the clause before them: `"Yes," she said` is cut after
// the quote, not between the comma and the quote.
bool is_closer(char32_t c) noexcept {
  if (c == U'"' || c == U'\'') return true;
  const auto type = static_cast<UCharCategory>(u_charType(as_uchar32(c)));
  return type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION;
}

std::string_view trim_left(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const DecodedChar d = decode_at(s, pos);
    if (!is_space(d.value)) break;
    pos += d.length;
  }
  return s.substr(pos);
}

// Walks backwards so that trimming the end of a long piece costs only the trimmed bytes.
std::string_view trim_right(std::string_view s) noexcept {
  std::size_t end = s.size();
  // previous_start agrees with decode_at, so an ill-formed byte reads as U+FFFD, not space.
  while (end > 0) {
    const std::size_t start = previous_start(s, end);
    if (!is_space(decode_at(s, start).value)) break;
    end = start;
  }
  return s.substr(0, end);
}

std::string_view trim(std::string_view s) noexcept {
  return trim_right(trim_left(s));
}

}  // namespace lector::text::detail
