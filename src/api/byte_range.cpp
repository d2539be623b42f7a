#include "api/byte_range.h"

#include <algorithm>
#include <charconv>

namespace lector::api {
namespace {

constexpr std::string_view kSpace = " \t";

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Digits only (no sign, no spaces): what RFC 9110 calls 1*DIGIT.
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

}  // namespace

std::optional<ByteRange> parse_byte_range(std::string_view header) {
  const auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(trim(header.substr(0, eq)), "bytes"))
    return std::nullopt;
  const std::string_view spec = trim(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = spec.substr(0, dash);
  const std::string_view b = spec.substr(dash + 1);
  ByteRange r;
  if (a.empty()) {
    r.suffix = number(b);
    if (!r.suffix) return std::nullopt;
    return r;
  }
  const auto first = number(a);
  if (!first) return std::nullopt;
  r.first = *first;
  if (!b.empty()) {
    r.last = number(b);
    if (!r.last || *r.last < r.first) return std::nullopt;
  }
  return r;
}

std::optional<Slice> satisfy(const ByteRange& range, std::size_t total) {
  if (range.suffix) {
    if (*range.suffix == 0 || total == 0) return std::nullopt;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(*range.suffix, total));
    return Slice{total - n, n};
  }
  if (range.first >= total) return std::nullopt;
  const std::uint64_t last =
      range.last ? std::min<std::uint64_t>(*range.last, total - 1) : total - 1;
  return Slice{static_cast<std::size_t>(range.first),
               static_cast<std::size_t>(last - range.first + 1)};
}

}  // namespace lector::api
