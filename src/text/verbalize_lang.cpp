#include "text/verbalize_lang.h"

#include <unicode/locid.h>
#include <unicode/rbnf.h>
#include <unicode/unistr.h>

#include <array>
#include <memory>

namespace lector::text::detail {

std::optional<Lang> normalization_language(std::string_view tag) {
  const std::string_view primary = tag.substr(0, tag.find_first_of("-_"));
  const auto is = [&](std::string_view code) {
    if (primary.size() != code.size()) return false;
    for (std::size_t i = 0; i < code.size(); ++i)
      if ((primary[i] | 0x20) != code[i]) return false;
    return true;
  };
  if (is("en")) return Lang::kEn;
  if (is("de")) return Lang::kDe;
  if (is("fr")) return Lang::kFr;
  if (is("es")) return Lang::kEs;
  return std::nullopt;
}

namespace {

const char* locale_name(Lang lang) {
  switch (lang) {
    case Lang::kEn:
      return "en";
    case Lang::kDe:
      return "de";
    case Lang::kFr:
      return "fr";
    case Lang::kEs:
      return "es";
  }
  return "en";
}

// ICU's rule set for a style in a language; the plain numbering when the language has none.
const char16_t* rule_set(Lang lang, NumberStyle style) {
  switch (style) {
    case NumberStyle::kNumbering:
      return u"%spellout-numbering";
    case NumberStyle::kMasculine:
      return lang == Lang::kEn ? u"%spellout-numbering" : u"%spellout-cardinal-masculine";
    case NumberStyle::kFeminine:
      return lang == Lang::kEn ? u"%spellout-numbering" : u"%spellout-cardinal-feminine";
    case NumberStyle::kYear:
      // French and Spanish years read as plain numbers ("deux mille vingt-quatre").
      return lang == Lang::kEn || lang == Lang::kDe ? u"%spellout-numbering-year"
                                                    : u"%spellout-numbering";
    case NumberStyle::kOrdinal:
      return lang == Lang::kEn || lang == Lang::kDe ? u"%spellout-ordinal"
                                                    : u"%spellout-ordinal-masculine";
    case NumberStyle::kOrdinalFeminine:
      return lang == Lang::kEn || lang == Lang::kDe ? u"%spellout-ordinal"
                                                    : u"%spellout-ordinal-feminine";
    case NumberStyle::kOrdinalDative:
      return lang == Lang::kDe ? u"%spellout-ordinal-n" : rule_set(lang, NumberStyle::kOrdinal);
  }
  return u"%spellout-numbering";
}

// A formatter per language and thread: RuleBasedNumberFormat is not safe to share between
// threads that format at once, and building one costs far more than a lookup.
icu::RuleBasedNumberFormat* formatter(Lang lang) {
  thread_local std::array<std::unique_ptr<icu::RuleBasedNumberFormat>, 4> cache;
  auto& slot = cache[static_cast<std::size_t>(lang)];
  if (!slot) {
    UErrorCode status = U_ZERO_ERROR;
    auto f = std::make_unique<icu::RuleBasedNumberFormat>(icu::URBNF_SPELLOUT,
                                                          icu::Locale(locale_name(lang)), status);
    if (U_FAILURE(status)) return nullptr;
    slot = std::move(f);
  }
  return slot.get();
}

}  // namespace

std::string spell(Lang lang, double value, NumberStyle style) {
  icu::RuleBasedNumberFormat* f = formatter(lang);
  icu::UnicodeString result;
  UErrorCode status = U_ZERO_ERROR;
  if (f != nullptr) {
    icu::FieldPosition position;
    f->format(value, icu::UnicodeString(rule_set(lang, style)), result, position, status);
  }
  if (f == nullptr || U_FAILURE(status)) {
    result.remove();
    result.append(icu::UnicodeString::fromUTF8(std::to_string(value)));
  }
  // German spellout marks word joints with soft hyphens, which some engines read.
  result.findAndReplace(icu::UnicodeString(static_cast<UChar>(0x00AD)), icu::UnicodeString());
  std::string out;
  result.toUTF8String(out);
  return out;
}

namespace {

constexpr Currency kEnCurrencies[] = {
    {U'$', "dollar", "dollars", "cent", "cents", false},
    {U'€', "euro", "euros", "cent", "cents", false},
    {U'£', "pound", "pounds", "penny", "pence", false},
    {U'¥', "yen", "yen", "", "", false},
};
constexpr Currency kDeCurrencies[] = {
    {U'$', "Dollar", "Dollar", "Cent", "Cent", false},
    {U'€', "Euro", "Euro", "Cent", "Cent", false},
    {U'£', "Pfund", "Pfund", "Penny", "Pence", false},
    {U'¥', "Yen", "Yen", "", "", false},
};
constexpr Currency kFrCurrencies[] = {
    {U'$', "dollar", "dollars", "cent", "cents", false},
    {U'€', "euro", "euros", "centime", "centimes", false},
    {U'£', "livre", "livres", "penny", "pence", true},
    {U'¥', "yen", "yens", "", "", false},
};
constexpr Currency kEsCurrencies[] = {
    {U'$', "dólar", "dólares", "centavo", "centavos", false},
    {U'€', "euro", "euros", "céntimo", "céntimos", false},
    {U'£', "libra", "libras", "penique", "peniques", true},
    {U'¥', "yen", "yenes", "", "", false},
};

// Longer spellings first: "km/h" before "km", "ms" before "m".
constexpr Unit kEnUnits[] = {
    {U"°C", "degree Celsius", "degrees Celsius", false},
    {U"°F", "degree Fahrenheit", "degrees Fahrenheit", false},
    {U"°", "degree", "degrees", false},
    {U"km/h", "kilometer per hour", "kilometers per hour", false},
    {U"km", "kilometer", "kilometers", false},
    {U"kg", "kilogram", "kilograms", false},
    {U"cm", "centimeter", "centimeters", false},
    {U"mm", "millimeter", "millimeters", false},
    {U"ms", "millisecond", "milliseconds", false},
    {U"m", "meter", "meters", false},
    {U"GB", "gigabyte", "gigabytes", false},
    {U"MB", "megabyte", "megabytes", false},
    {U"s", "second", "seconds", false},
    {U"h", "hour", "hours", false},
};
constexpr Unit kDeUnits[] = {
    {U"°C", "Grad Celsius", "Grad Celsius", false},
    {U"°F", "Grad Fahrenheit", "Grad Fahrenheit", false},
    {U"°", "Grad", "Grad", false},
    {U"km/h", "Kilometer pro Stunde", "Kilometer pro Stunde", false},
    {U"km", "Kilometer", "Kilometer", false},
    {U"kg", "Kilogramm", "Kilogramm", false},
    {U"cm", "Zentimeter", "Zentimeter", false},
    {U"mm", "Millimeter", "Millimeter", false},
    {U"ms", "Millisekunde", "Millisekunden", true},
    {U"m", "Meter", "Meter", false},
    {U"GB", "Gigabyte", "Gigabyte", false},
    {U"MB", "Megabyte", "Megabyte", false},
    {U"s", "Sekunde", "Sekunden", true},
    {U"h", "Stunde", "Stunden", true},
};
constexpr Unit kFrUnits[] = {
    {U"°C", "degré Celsius", "degrés Celsius", false},
    {U"°F", "degré Fahrenheit", "degrés Fahrenheit", false},
    {U"°", "degré", "degrés", false},
    {U"km/h", "kilomètre par heure", "kilomètres par heure", false},
    {U"km", "kilomètre", "kilomètres", false},
    {U"kg", "kilogramme", "kilogrammes", false},
    {U"cm", "centimètre", "centimètres", false},
    {U"mm", "millimètre", "millimètres", false},
    {U"ms", "milliseconde", "millisecondes", true},
    {U"m", "mètre", "mètres", false},
    {U"Go", "gigaoctet", "gigaoctets", false},
    {U"Mo", "mégaoctet", "mégaoctets", false},
    {U"GB", "gigaoctet", "gigaoctets", false},
    {U"MB", "mégaoctet", "mégaoctets", false},
    {U"s", "seconde", "secondes", true},
    {U"h", "heure", "heures", true},
};
constexpr Unit kEsUnits[] = {
    {U"°C", "grado Celsius", "grados Celsius", false},
    {U"°F", "grado Fahrenheit", "grados Fahrenheit", false},
    {U"°", "grado", "grados", false},
    {U"km/h", "kilómetro por hora", "kilómetros por hora", false},
    {U"km", "kilómetro", "kilómetros", false},
    {U"kg", "kilogramo", "kilogramos", false},
    {U"cm", "centímetro", "centímetros", false},
    {U"mm", "milímetro", "milímetros", false},
    {U"ms", "milisegundo", "milisegundos", false},
    {U"m", "metro", "metros", false},
    {U"GB", "gigabyte", "gigabytes", false},
    {U"MB", "megabyte", "megabytes", false},
    {U"s", "segundo", "segundos", false},
    {U"h", "hora", "horas", true},
};

constexpr std::string_view kEnMonths[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
constexpr std::string_view kDeMonths[] = {"Januar",    "Februar", "März",     "April",
                                          "Mai",       "Juni",    "Juli",     "August",
                                          "September", "Oktober", "November", "Dezember"};
constexpr std::string_view kFrMonths[] = {"janvier",   "février", "mars",     "avril",
                                          "mai",       "juin",    "juillet",  "août",
                                          "septembre", "octobre", "novembre", "décembre"};
constexpr std::string_view kEsMonths[] = {"enero",      "febrero", "marzo",     "abril",
                                          "mayo",       "junio",   "julio",     "agosto",
                                          "septiembre", "octubre", "noviembre", "diciembre"};

constexpr Abbreviation kEnAbbreviations[] = {
    {U"e.g.", "for example", false},
    {U"i.e.", "that is", false},
    {U"etc.", "et cetera", false},
    {U"vs.", "versus", false},
    {U"approx.", "approximately", false},
    {U"Dr.", "Doctor", true},
    {U"Mr.", "Mister", true},
    {U"Mrs.", "Missus", true},
    {U"Ms.", "Miz", true},
    {U"Prof.", "Professor", true},
};
constexpr Abbreviation kDeAbbreviations[] = {
    {U"z. B.", "zum Beispiel", false},   {U"z.B.", "zum Beispiel", false},
    {U"d. h.", "das heißt", false},      {U"d.h.", "das heißt", false},
    {U"u. a.", "unter anderem", false},  {U"usw.", "und so weiter", false},
    {U"bzw.", "beziehungsweise", false}, {U"ca.", "circa", false},
    {U"vgl.", "vergleiche", false},      {U"etc.", "et cetera", false},
    {U"Nr.", "Nummer", false},           {U"Dr.", "Doktor", true},
    {U"Prof.", "Professor", true},       {U"Hr.", "Herr", true},
};
constexpr Abbreviation kFrAbbreviations[] = {
    {U"p. ex.", "par exemple", false}, {U"c.-à-d.", "c'est-à-dire", false},
    {U"etc.", "et cetera", false},     {U"MM.", "Messieurs", true},
    {U"M.", "Monsieur", true},         {U"Mmes", "Mesdames", true},
    {U"Mme", "Madame", true},          {U"Mlle", "Mademoiselle", true},
    {U"Dr", "Docteur", true},          {U"Pr", "Professeur", true},
};
constexpr Abbreviation kEsAbbreviations[] = {
    {U"p. ej.", "por ejemplo", false},
    {U"etc.", "etcétera", false},
    {U"EE. UU.", "Estados Unidos", false},
    {U"Ud.", "usted", false},
    {U"Uds.", "ustedes", false},
    {U"Sra.", "señora", true},
    {U"Srta.", "señorita", true},
    {U"Sr.", "señor", true},
    {U"Dra.", "doctora", true},
    {U"Dr.", "doctor", true},
};

constexpr std::u32string_view kEnScales[] = {U"thousand", U"million", U"billion", U"trillion"};
constexpr std::u32string_view kDeScales[] = {U"Tausend", U"Million", U"Millionen", U"Milliarde",
                                             U"Milliarden"};
constexpr std::u32string_view kFrScales[] = {U"mille", U"million", U"millions", U"milliard",
                                             U"milliards"};
constexpr std::u32string_view kEsScales[] = {U"mil", U"millón", U"millones"};

constexpr LangData kEn{
    U'.',    U",",  "to",          "percent", "and",     "about",          "plus",
    "times", "per", kEnCurrencies, kEnUnits,  kEnMonths, kEnAbbreviations, kEnScales};
constexpr LangData kDe{
    U',',  U".",  "bis",         "Prozent", "",        "etwa",           "plus",
    "mal", "pro", kDeCurrencies, kDeUnits,  kDeMonths, kDeAbbreviations, kDeScales};
constexpr LangData kFr{U',',
                       U" \u00A0\u202F.",
                       "à",
                       "pour cent",
                       "",
                       "environ",
                       "plus",
                       "fois",
                       "par",
                       kFrCurrencies,
                       kFrUnits,
                       kFrMonths,
                       kFrAbbreviations,
                       kFrScales};
constexpr LangData kEs{U',',
                       U". \u00A0\u202F",
                       "a",
                       "por ciento",
                       "con",
                       "unos",
                       "más",
                       "veces",
                       "por",
                       kEsCurrencies,
                       kEsUnits,
                       kEsMonths,
                       kEsAbbreviations,
                       kEsScales};

}  // namespace

const LangData& lang_data(Lang lang) {
  switch (lang) {
    case Lang::kEn:
      return kEn;
    case Lang::kDe:
      return kDe;
    case Lang::kFr:
      return kFr;
    case Lang::kEs:
      return kEs;
  }
  return kEn;
}

}  // namespace lector::text::detail
