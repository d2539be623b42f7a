#pragma once
// Character classes and trimming shared by the sentence breaker, the cutting rules and the
// incremental segmenter, so that all of them read text the same way. Private to src/text. Pure
// functions on ICU's character properties, callable from any thread.

#include <string_view>

namespace lector::text::detail {

// Unicode White_Space.
bool is_space(char32_t c) noexcept;
// A letter or digit.
bool is_word_char(char32_t c) noexcept;
// Scripts written without spaces between words (Han, kana): each character counts as a word.
bool is_word_per_char(char32_t c) noexcept;
// Opening quotes and brackets.
bool is_opener(char32_t c) noexcept;
// Closing quotes and brackets.
bool is_closer(char32_t c) noexcept;

// `s` without leading or trailing white space. An ill-formed byte is never white space.
std::string_view trim_left(std::string_view s) noexcept;
std::string_view trim_right(std::string_view s) noexcept;
std::string_view trim(std::string_view s) noexcept;

}  // namespace lector::text::detail
