#include "engine/festival_text.h"

#include <iconv.h>
#include <locale.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <utility>

namespace lector::engine::festival_text {
namespace {

std::string title_case(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// Bytes of the UTF-8 sequence at the start of `s`: a whole character, or the maximal ill-formed
// subpart ICU's U8_NEXT skips (at least one byte).
std::size_t sequence_length(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto n = static_cast<std::int32_t>(std::min<std::size_t>(s.size(), INT32_MAX));
  std::int32_t i = 0;
  UChar32 c;
  U8_NEXT(p, i, n, c);
  (void)c;
  return static_cast<std::size_t>(i);
}

// Restores the calling thread's locale on every exit path.
class ThreadLocale {
 public:
  explicit ThreadLocale(locale_t l) : previous_(l != nullptr ? uselocale(l) : nullptr) {}
  ~ThreadLocale() {
    if (previous_ != nullptr) uselocale(previous_);
  }
  ThreadLocale(const ThreadLocale&) = delete;
  ThreadLocale& operator=(const ThreadLocale&) = delete;

 private:
  locale_t previous_;
};

}  // namespace

std::string plain_punctuation(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto n = static_cast<std::int32_t>(std::min<std::size_t>(utf8.size(), INT32_MAX));
  for (std::int32_t i = 0; i < n;) {
    const std::int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    std::string_view to;
    switch (c) {
      case 0x00AB:  // « »
      case 0x00BB:
      case 0x201C:  // “ ” „ ‟
      case 0x201D:
      case 0x201E:
      case 0x201F:
        to = "\"";
        break;
      case 0x2018:  // ‘ ’ ‚ ‛
      case 0x2019:
      case 0x201A:
      case 0x201B:
        to = "'";
        break;
      case 0x2012:  // figure dash, en dash, em dash, horizontal bar
      case 0x2013:
      case 0x2014:
      case 0x2015:
        while (!out.empty() && out.back() == ' ') out.pop_back();
        to = ", ";
        break;
      case 0x2026:  // …
        to = "...";
        break;
      default:
        out.append(
            utf8.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
        continue;
    }
    out.append(to);
  }
  return out;
}

std::string to_voice_charset(std::string_view utf8, const std::string& coding) {
  std::string out;
  out.reserve(utf8.size());
  if (coding == "utf-8" || coding == "utf8") {
    for (char c : utf8) out.push_back(c == '\0' ? ' ' : c);
    return out;
  }
  const std::string target = (coding.empty() ? std::string("ASCII") : coding) + "//TRANSLIT";
  iconv_t cd = iconv_open(target.c_str(), "UTF-8");
  // iconv_open's documented failure value is (iconv_t)-1.
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  const auto failed = reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1));
  if (cd == failed) return std::string(utf8);
  // Transliteration tables are per locale; the C locale has almost none.
  static const locale_t utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
  const ThreadLocale locale(utf8_locale);

  std::string input(utf8);
  char* in = input.data();
  std::size_t in_left = input.size();
  std::array<char, 4096> buf;
  while (in_left > 0) {
    char* o = buf.data();
    std::size_t o_left = buf.size();
    const std::size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf.data(), static_cast<std::size_t>(o - buf.data()));
    if (rc == static_cast<std::size_t>(-1) && errno != E2BIG) {
      // Invalid (or truncated) UTF-8, or a character with no transliteration: one space
      // instead of the sequence.
      out.push_back(' ');
      const std::size_t skip = sequence_length({in, in_left});
      in += skip;
      in_left -= skip;
    }
  }
  iconv_close(cd);
  std::replace(out.begin(), out.end(), '\0', ' ');
  return out;
}

std::string to_bcp47(const std::string& language, const std::string& dialect) {
  static constexpr std::pair<const char*, const char*> kLanguages[] = {
      {"english", "en"}, {"catalan", "ca"}, {"czech", "cs"},    {"finnish", "fi"},
      {"hindi", "hi"},   {"italian", "it"}, {"marathi", "mr"},  {"russian", "ru"},
      {"telugu", "te"},  {"spanish", "es"}, {"german", "de"},   {"french", "fr"},
      {"welsh", "cy"},   {"polish", "pl"},  {"japanese", "ja"},
  };
  const std::string lang = lower(language);
  if (lang == "english") {
    const std::string d = lower(dialect);
    if (d == "american") return "en-US";
    if (d == "british" || d == "scottish") return "en-GB";
  }
  for (const auto& [name, tag] : kLanguages)
    if (lang == name) return tag;
  return "und";
}

std::string display_name(const std::string& language, const std::string& dialect, Gender gender,
                         const std::string& voice) {
  std::string display = title_case(language.empty() ? "unknown" : language);
  const std::string d = lower(dialect);
  if (!d.empty() && d != "nil" && d != "none" && d != "comment")
    display += " (" + title_case(dialect) + ")";
  display += ", " + std::string(to_string(gender)) + ": " + voice;
  return display;
}

Gender to_gender(const std::string& field) {
  const std::string g = lower(field);
  return g == "male" ? Gender::kMale : g == "female" ? Gender::kFemale : Gender::kUnknown;
}

bool is_plain_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

std::string format_number(double v) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "1";
  return std::string(buf.data(), end);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace lector::engine::festival_text
