#include "text/utf8.h"

#include <cstdint>

namespace lector::text {
namespace {

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes consumed; 0 means the sequence at `pos` is ill-formed
};

constexpr bool is_continuation(std::uint8_t byte) noexcept {
  return (byte & 0xC0U) == 0x80U;
}

// Decodes one code point following Unicode's table of well-formed byte sequences (Table 3-7).
// Checking the second byte's range per lead byte is what rejects overlongs (E0 80..9F,
// F0 80..8F), surrogates (ED A0..BF) and values above U+10FFFF (F4 90.., F5..FF) without a
// separate range check after decoding.
Decoded decode(std::string_view s, std::size_t pos) noexcept {
  const auto byte_at = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const std::uint8_t lead = byte_at(pos);
  if (lead < 0x80U) return {lead, 1};

  std::size_t length = 0;
  std::uint8_t second_min = 0x80U;
  std::uint8_t second_max = 0xBFU;
  char32_t value = 0;
  if (lead >= 0xC2U && lead <= 0xDFU) {
    length = 2;
    value = lead & 0x1FU;
  } else if (lead >= 0xE0U && lead <= 0xEFU) {
    length = 3;
    value = lead & 0x0FU;
    if (lead == 0xE0U) second_min = 0xA0U;
    if (lead == 0xEDU) second_max = 0x9FU;
  } else if (lead >= 0xF0U && lead <= 0xF4U) {
    length = 4;
    value = lead & 0x07U;
    if (lead == 0xF0U) second_min = 0x90U;
    if (lead == 0xF4U) second_max = 0x8FU;
  } else {
    // 80..BF (stray continuation), C0/C1 (always overlong), F5..FF (beyond U+10FFFF).
    return {};
  }
  if (s.size() - pos < length) return {};

  const std::uint8_t second = byte_at(pos + 1);
  if (second < second_min || second > second_max) return {};
  value = (value << 6U) | (second & 0x3FU);
  for (std::size_t i = 2; i < length; ++i) {
    const std::uint8_t next = byte_at(pos + i);
    if (!is_continuation(next)) return {};
    value = (value << 6U) | (next & 0x3FU);
  }
  return {value, length};
}

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

void append_utf8(std::string& out, char32_t c) {
  const auto byte = [](char32_t v) { return static_cast<char>(static_cast<std::uint8_t>(v)); };
  if (c < 0x80) {
    out.push_back(byte(c));
  } else if (c < 0x800) {
    out.push_back(byte(0xC0U | (c >> 6U)));
    out.push_back(byte(0x80U | (c & 0x3FU)));
  } else if (c < 0x10000) {
    out.push_back(byte(0xE0U | (c >> 12U)));
    out.push_back(byte(0x80U | ((c >> 6U) & 0x3FU)));
    out.push_back(byte(0x80U | (c & 0x3FU)));
  } else {
    out.push_back(byte(0xF0U | (c >> 18U)));
    out.push_back(byte(0x80U | ((c >> 12U) & 0x3FU)));
    out.push_back(byte(0x80U | ((c >> 6U) & 0x3FU)));
    out.push_back(byte(0x80U | (c & 0x3FU)));
  }
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    // Most request text is ASCII; skipping it byte by byte avoids the general decoder.
    if (static_cast<std::uint8_t>(s[pos]) < 0x80U) {
      ++pos;
      continue;
    }
    const Decoded d = decode(s, pos);
    if (d.length == 0) return false;
    pos += d.length;
  }
  return true;
}

std::size_t count_code_points(std::string_view s) noexcept {
  // In valid UTF-8 every code point has exactly one byte that is not a continuation byte.
  std::size_t count = 0;
  for (const char c : s) {
    if (!is_continuation(static_cast<std::uint8_t>(c))) ++count;
  }
  return count;
}

std::string normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  // A space is only written when the next visible character arrives, so runs collapse to one
  // space and nothing trails; `out.empty()` keeps leading whitespace from being written at all.
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const Decoded d = decode(s, pos);
    // Valid input is a precondition; should it be violated, each bad byte becomes U+FFFD so
    // the output is still valid UTF-8 and nothing is read out of bounds.
    const char32_t c = d.length == 0 ? char32_t{0xFFFD} : d.code_point;
    pos += d.length == 0 ? 1 : d.length;

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

}  // namespace lector::text
