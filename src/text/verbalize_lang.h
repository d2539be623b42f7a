#pragma once
// The language data of normalization (verbalize.h): number words from ICU's
// RuleBasedNumberFormat spellout, and per language the separators, currency and unit names,
// months and abbreviations. Private to src/text. Thread-safe: the tables are constants and
// every thread has its own formatters.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lector::text::detail {

enum class Lang { kEn, kDe, kFr, kEs };

// The language of a BCP-47 tag or espeak voice name ("en-us", "es-419", "fr-fr"); none for the
// languages normalization leaves to the engine.
std::optional<Lang> normalization_language(std::string_view tag);

// How a number is read.
enum class NumberStyle {
  kNumbering,  // a number alone ("one", "eins")
  kMasculine,  // counting a masculine (or any, in English) noun ("un euro", "ein Euro")
  kFeminine,   // counting a feminine noun ("une heure", "una libra")
  kYear,       // "nineteen ninety-nine" (en, de)
  kOrdinal,    // "third", "dritte", "troisième", "tercero"
  kOrdinalFeminine,
  kOrdinalDative,  // German after "am", "im": "dritten"
};

// `value` spelled out; digits as written when ICU has no such rule set.
std::string spell(Lang lang, double value, NumberStyle style);

struct Currency {
  char32_t symbol;
  std::string_view one, many;              // the unit: "dollar", "dollars"
  std::string_view minor_one, minor_many;  // "cent", "cents"; empty: no minor unit (yen)
  bool feminine;                           // "una libra", "une livre"
};

struct Unit {
  std::u32string_view written;  // as written after the number: "km/h", "°C"
  std::string_view one, many;
  bool feminine;
};

struct Abbreviation {
  std::u32string_view written;  // "z. B.", "Dr."
  std::string_view spoken;
  bool title;  // only before a capitalised word (a name): "Dr. Smith", "M. Dupont"
};

struct LangData {
  char32_t decimal;           // the decimal separator
  std::u32string_view group;  // thousands separators
  std::string_view range;     // "40-60": "to", "bis", "à", "a"
  std::string_view percent;
  std::string_view and_minor;  // between the major and the minor amount: "and", "", "", "con"
  std::string_view about;      // "~10"
  std::string_view plus;       // "100+"
  std::string_view times;      // "2.5x"
  std::string_view per;        // "$5/month", "3 km/day"
  std::span<const Currency> currencies;
  std::span<const Unit> units;
  std::span<const std::string_view> months;  // January first
  std::span<const Abbreviation> abbreviations;
  std::span<const std::u32string_view> scales;  // "million", "Millionen": "$2 million"
};

const LangData& lang_data(Lang lang);

}  // namespace lector::text::detail
