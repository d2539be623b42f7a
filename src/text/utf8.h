#pragma once
// UTF-8 checks and clean-up of user text. Pure functions, callable from any thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace lector::text {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Number of code points in valid UTF-8 `s`.
std::size_t count_code_points(std::string_view s) noexcept;

// Removes C0/C1 control characters (and U+FEFF), turning tabs, newlines and other line
// separators into a space; collapses runs of whitespace to one space and trims both ends.
// Input must be valid UTF-8.
std::string normalize(std::string_view s);

}  // namespace lector::text
