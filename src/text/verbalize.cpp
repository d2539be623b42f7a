// Kept whole past the size limit, because it is one scanner whose rules (amounts, dates, times,
// ranges, units, ordinals, years, abbreviations) share the number reader and the output; the
// language data lives in verbalize_lang.cpp.
#include "text/verbalize.h"

#include <unicode/uchar.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "text/utf8.h"
#include "text/verbalize_lang.h"

namespace lector::text {

using detail::Lang;
using detail::LangData;
using detail::NumberStyle;
using detail::spell;

namespace {

bool is_digit(char32_t c) noexcept {
  return c >= U'0' && c <= U'9';
}
bool is_letter(char32_t c) noexcept {
  return u_isalpha(static_cast<UChar32>(c)) != 0;
}
bool is_alnum(char32_t c) noexcept {
  return is_digit(c) || is_letter(c);
}
bool is_dash(char32_t c) noexcept {
  return c == U'-' || c == U'\u2013' || c == U'\u2014';
}

// A number as written: its digits without grouping, where it starts and ends.
struct Number {
  std::size_t begin = 0, end = 0;
  std::string whole;
  std::string fraction;
  bool negative = false;
  bool grouped = false;
  bool dotted = false;  // "1.2.3", an IP address, a version: not a number to read
  double value() const {
    std::string s = negative ? "-" : "";
    s += whole;
    if (!fraction.empty()) s += "." + fraction;
    return std::strtod(s.c_str(), nullptr);
  }
  bool integer() const { return fraction.empty(); }
  long long whole_value() const { return std::atoll(whole.c_str()); }
};

class Verbalizer {
 public:
  Verbalizer(const MappedText& segment, Lang lang)
      : seg_(segment), lang_(lang), data_(detail::lang_data(lang)) {
    for (std::size_t pos = 0; pos < segment.text.size();) {
      offsets_.push_back(pos);
      cps_.push_back(decode_next(segment.text, pos));
    }
    offsets_.push_back(segment.text.size());
  }

  MappedText run() {
    const std::size_t n = cps_.size();
    for (std::size_t i = 0; i < n;) {
      if (word_start(i)) {
        if (const auto end = abbreviation(i)) {
          i = *end;
          continue;
        }
      }
      const char32_t c = cps_[i];
      if (c == U'~' && is_digit(at(i + 1)) && (i == 0 || !is_alnum(cps_[i - 1]))) {
        i = emit(i, i + 1, std::string(data_.about));
        continue;
      }
      if ((is_digit(c) || currency(c) != nullptr || c == U'-' || c == U'\u2212') &&
          (i == 0 || !is_alnum(cps_[i - 1]))) {
        if (const auto end = expression(i)) {
          i = *end;
          continue;
        }
      }
      copy(i, i + 1);
      ++i;
    }
    return std::move(out_);
  }

 private:
  char32_t at(std::size_t i) const { return i < cps_.size() ? cps_[i] : U'\0'; }
  bool word_start(std::size_t i) const {
    return i == 0 || (!is_letter(cps_[i - 1]) && cps_[i - 1] != U'.');
  }
  const detail::Currency* currency(char32_t c) const {
    for (const detail::Currency& cur : data_.currencies)
      if (cur.symbol == c) return &cur;
    return nullptr;
  }

  void copy(std::size_t first, std::size_t last) {
    if (first >= last) return;
    out_.text.append(seg_.text, offsets_[first], offsets_[last] - offsets_[first]);
    out_.spans.insert(out_.spans.end(), seg_.spans.begin() + static_cast<std::ptrdiff_t>(first),
                      seg_.spans.begin() + static_cast<std::ptrdiff_t>(last));
    last_ = cps_[last - 1];
  }
  // Words standing for code points [first, last): all of them carry the span of the whole.
  std::size_t emit(std::size_t first, std::size_t last, const std::string& words) {
    const SourceSpan span = source_of(seg_, first, last - first);
    if (is_alnum(last_)) out_.append(" ", span);
    out_.append(words, span);
    if (pending_per_) {
      out_.append(" " + std::string(data_.per), span);
      pending_per_ = false;
    }
    if (is_alnum(at(last))) out_.append(" ", span);
    last_ = U' ';
    return last;
  }

  // Code points [i, i + s.size()) equal `s`; the first may be upper case for a lower-case `s`.
  bool matches(std::size_t i, std::u32string_view s, bool* capitalised = nullptr) const {
    if (i + s.size() > cps_.size()) return false;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (cps_[i + k] == s[k]) continue;
      if (k == 0 && capitalised != nullptr &&
          cps_[i] == static_cast<char32_t>(u_toupper(static_cast<UChar32>(s[0])))) {
        *capitalised = true;
        continue;
      }
      return false;
    }
    return true;
  }

  std::optional<std::size_t> abbreviation(std::size_t i) {
    for (const detail::Abbreviation& a : data_.abbreviations) {
      bool capitalised = false;
      if (!matches(i, a.written, a.title ? nullptr : &capitalised)) continue;
      const std::size_t end = i + a.written.size();
      if (is_letter(at(end))) continue;
      if (a.title && !(at(end) == U' ' && u_isupper(static_cast<UChar32>(at(end + 1))))) continue;
      std::string spoken(a.spoken);
      if (capitalised && !spoken.empty() && spoken[0] >= 'a' && spoken[0] <= 'z')
        spoken[0] = static_cast<char>(spoken[0] - 'a' + 'A');
      // "…, etc." at the end of a sentence keeps its full stop.
      std::size_t rest = end;
      while (rest < cps_.size() && u_isUWhiteSpace(static_cast<UChar32>(cps_[rest]))) ++rest;
      if (a.written.back() == U'.' && rest == cps_.size()) spoken += ".";
      return emit(i, end, spoken);
    }
    return std::nullopt;
  }

  // Digits at i, between min and max of them, not followed by another digit.
  std::optional<int> digits(std::size_t i, std::size_t min, std::size_t max) const {
    std::size_t k = i;
    int value = 0;
    while (k < cps_.size() && is_digit(cps_[k]) && k - i < max)
      value = value * 10 + int(cps_[k++] - U'0');
    if (k - i < min || is_digit(at(k))) return std::nullopt;
    return value;
  }

  std::optional<Number> number(std::size_t i) const {
    Number num;
    num.begin = i;
    std::size_t k = i;
    if (at(k) == U'-' || at(k) == U'\u2212') {
      num.negative = true;
      ++k;
    }
    if (!is_digit(at(k))) return std::nullopt;
    while (is_digit(at(k))) num.whole.push_back(static_cast<char>(at(k++)));
    // Thousands: one to three digits, then groups of exactly three.
    while (num.whole.size() <= 3 || num.grouped) {
      if (data_.group.find(at(k)) == std::u32string_view::npos) break;
      if (!(is_digit(at(k + 1)) && is_digit(at(k + 2)) && is_digit(at(k + 3)) &&
            !is_digit(at(k + 4))))
        break;
      for (std::size_t m = 1; m <= 3; ++m) num.whole.push_back(static_cast<char>(at(k + m)));
      num.grouped = true;
      k += 4;
    }
    const char32_t sep = at(k);
    const bool decimal = sep == data_.decimal || (lang_ != Lang::kEn && sep == U'.');
    if (decimal && is_digit(at(k + 1))) {
      ++k;
      while (is_digit(at(k))) num.fraction.push_back(static_cast<char>(at(k++)));
      if ((at(k) == U'.' || at(k) == U',') && is_digit(at(k + 1))) num.dotted = true;
    }
    while ((at(k) == U'.' || at(k) == U':') && is_digit(at(k + 1)) && num.dotted) {
      ++k;
      while (is_digit(at(k))) ++k;
    }
    num.end = k;
    if (num.whole.size() + num.fraction.size() > 15) num.dotted = true;
    return num;
  }

  // A word at k (after one space) from `words`, not followed by a letter: its end.
  std::optional<std::size_t> word_after(std::size_t k,
                                        std::span<const std::u32string_view> words) const {
    if (at(k) != U' ') return std::nullopt;
    for (const std::u32string_view w : words)
      if (matches(k + 1, w) && !is_letter(at(k + 1 + w.size()))) return k + 1 + w.size();
    return std::nullopt;
  }
  // The previous word before i, lower-cased ASCII.
  std::string previous_word(std::size_t i) const {
    std::size_t k = i;
    while (k > 0 && cps_[k - 1] == U' ') --k;
    std::string w;
    while (k > 0 && is_letter(cps_[k - 1]))
      w.insert(w.begin(), static_cast<char>(cps_[--k] | 0x20));
    return w;
  }

  std::string cardinal(const Number& num, NumberStyle style) const {
    return spell(lang_, num.value(), num.integer() ? style : NumberStyle::kNumbering);
  }
  bool singular(const Number& num) const {
    const double v = std::fabs(num.value());
    return lang_ == Lang::kFr ? v < 2 : (v == 1 && num.integer());
  }

  std::optional<std::size_t> expression(std::size_t i) {
    if (const detail::Currency* cur = currency(cps_[i])) {
      const auto num = number(i + 1);
      if (!num || num->negative || num->dotted) return std::nullopt;
      std::size_t end = num->end;
      const auto scale = word_after(end, data_.scales);
      return emit(i, per(scale ? *scale : end),
                  amount(*num, *cur, scale ? range_text(end + 1, *scale) : ""));
    }
    if (const auto end = date(i)) return end;
    const auto num = number(i);
    if (!num) return std::nullopt;
    if (num->dotted) {
      copy(i, num->end);
      return num->end;
    }
    std::size_t k = num->end;
    if (const auto end = time(*num)) return end;
    if (const auto end = ordinal(*num)) return end;
    // A range: "40-60", "40 – 60"; a unit after the second number belongs to both.
    std::optional<Number> upper;
    std::size_t after = k;
    if (is_dash(at(k)) && is_digit(at(k + 1)) && !num->negative) {
      upper = number(k + 1);
    } else if (at(k) == U' ' && is_dash(at(k + 1)) && at(k + 2) == U' ' && is_digit(at(k + 3))) {
      upper = number(k + 3);
    }
    if (upper && (upper->dotted || upper->negative)) upper.reset();
    // 555-123-4567, 1-2-3: a phone number or a code, read as written.
    if (upper && is_dash(at(upper->end)) && is_digit(at(upper->end + 1))) {
      std::size_t end = upper->end;
      while (is_dash(at(end)) || is_digit(at(end))) ++end;
      copy(i, end);
      return end;
    }
    if (upper) after = upper->end;
    const Number& last = upper ? *upper : *num;
    std::string words;
    const auto both = [&](NumberStyle style) {
      std::string w = cardinal(*num, style);
      if (upper) w += " " + std::string(data_.range) + " " + cardinal(*upper, style);
      return w;
    };
    // Percent, a unit or a currency sign after the number, with or without a space.
    const std::size_t u = at(after) == U' ' ? after + 1 : after;
    if (at(u) == U'%')
      return emit(i, u + 1, both(NumberStyle::kMasculine) + " " + std::string(data_.percent));
    for (const detail::Unit& unit : data_.units) {
      if (!matches(u, unit.written) || is_alnum(at(u + unit.written.size()))) continue;
      const NumberStyle style = unit.feminine ? NumberStyle::kFeminine : NumberStyle::kMasculine;
      return emit(i, per(u + unit.written.size()),
                  both(style) + " " + std::string(singular(last) ? unit.one : unit.many));
    }
    if (const detail::Currency* cur = currency(at(u)); cur != nullptr && !upper)
      return emit(i, per(u + 1), amount(*num, *cur, ""));
    // "2.5x" faster, "100+" people.
    if ((at(after) == U'x' || at(after) == U'\u00D7') && !is_alnum(at(after + 1)))
      return emit(i, after + 1, both(NumberStyle::kNumbering) + " " + std::string(data_.times));
    if (at(after) == U'+' && !is_alnum(at(after + 1)))
      return emit(i, after + 1, both(NumberStyle::kNumbering) + " " + std::string(data_.plus));
    if (is_letter(at(after))) {  // "3D", "4K", "10x": a name, not a number
      std::size_t end = after;
      while (is_alnum(at(end))) ++end;
      copy(i, end);
      return end;
    }
    if (!upper && year(*num)) return emit(i, k, spell(lang_, num->value(), NumberStyle::kYear));
    return emit(i, after, both(NumberStyle::kNumbering));
  }

  // After an amount or a unit, "/month" reads "per month": the end of the expression with the
  // slash, whose word is copied after the "per" that emit() writes through pending_.
  std::size_t per(std::size_t end) {
    if (at(end) == U'/' && is_letter(at(end + 1))) {
      pending_per_ = true;
      return end + 1;
    }
    return end;
  }

  std::string range_text(std::size_t first, std::size_t last) const {
    std::string s;
    for (std::size_t k = first; k < last; ++k) append_utf8(s, cps_[k]);
    return s;
  }

  bool year(const Number& num) const {
    if (!num.integer() || num.grouped || num.negative || num.whole.size() != 4) return false;
    const long long v = num.whole_value();
    if (lang_ == Lang::kEn) return v >= 1100 && v <= 2099;
    // German: "1999 war" is a year, "1500 Menschen" a count (a noun follows).
    if (lang_ == Lang::kDe)
      return v >= 1100 && v <= 1999 &&
             !(at(num.end) == U' ' && u_isupper(static_cast<UChar32>(at(num.end + 1))));
    return false;
  }

  std::string amount(const Number& num, const detail::Currency& cur,
                     const std::string& scale) const {
    const NumberStyle style = cur.feminine ? NumberStyle::kFeminine : NumberStyle::kMasculine;
    if (!scale.empty()) {
      const bool de_of = lang_ == Lang::kFr || lang_ == Lang::kEs;
      return cardinal(num, style) + " " + scale + (de_of ? " de " : " ") + std::string(cur.many);
    }
    const bool minor_unit = !cur.minor_many.empty() && num.fraction.size() <= 2;
    if (!minor_unit)
      return cardinal(num, style) + " " + std::string(singular(num) ? cur.one : cur.many);
    Number major = num;
    major.fraction.clear();
    const int minor = num.fraction.empty()
                          ? 0
                          : std::atoi(num.fraction.c_str()) * (num.fraction.size() == 1 ? 10 : 1);
    const std::string minor_words = spell(lang_, minor, NumberStyle::kMasculine);
    std::string s;
    if (major.whole_value() > 0 || minor == 0)
      s = cardinal(major, style) + " " + std::string(singular(major) ? cur.one : cur.many);
    if (minor == 0) return s;
    if (s.empty())
      return minor_words + " " + std::string(minor == 1 ? cur.minor_one : cur.minor_many);
    if (lang_ == Lang::kEn)
      return s + " and " + minor_words + " " +
             std::string(minor == 1 ? cur.minor_one : cur.minor_many);
    return s + (data_.and_minor.empty() ? " " : " " + std::string(data_.and_minor) + " ") +
           minor_words;
  }

  // 10:30, 10:30 am, 10am.
  std::optional<std::size_t> time(const Number& num) {
    if (!num.integer() || num.grouped || num.negative || num.whole.size() > 2) return std::nullopt;
    const long long hour = num.whole_value();
    std::size_t k = num.end;
    std::optional<int> minute;
    if (at(k) == U':' && hour <= 24) {
      minute = digits(k + 1, 2, 2);
      if (!minute || *minute > 59 || at(k + 3) == U':') return std::nullopt;
      k += 3;
    }
    std::string meridiem;
    if (lang_ == Lang::kEn && hour >= 1 && hour <= 12) {
      const std::size_t m = at(k) == U' ' ? k + 1 : k;
      for (const auto& [written, spoken] : {std::pair{U"a.m.", "a m"},
                                            {U"p.m.", "p m"},
                                            {U"am", "a m"},
                                            {U"pm", "p m"},
                                            {U"AM", "a m"},
                                            {U"PM", "p m"}}) {
        const std::u32string_view w(written);
        if (matches(m, w) && !is_letter(at(m + w.size()))) {
          meridiem = spoken;
          k = m + w.size();
          break;
        }
      }
    }
    if (!minute && meridiem.empty()) return std::nullopt;
    const int mm = minute.value_or(0);
    std::string s;
    switch (lang_) {
      case Lang::kEn:
        s = spell(lang_, double(hour), NumberStyle::kNumbering);
        if (mm == 0)
          s += meridiem.empty() ? (hour > 12 ? " hundred" : " o'clock") : "";
        else
          s += (mm < 10 ? " oh " : " ") + spell(lang_, mm, NumberStyle::kNumbering);
        if (!meridiem.empty()) s += " " + meridiem;
        break;
      case Lang::kDe:
        s = spell(lang_, double(hour), NumberStyle::kMasculine) + " Uhr";
        if (mm != 0) s += " " + spell(lang_, mm, NumberStyle::kNumbering);
        // "10:30 Uhr" says "Uhr" once, after the hour.
        if (matches(k, U" Uhr") && !is_letter(at(k + 4))) k += 4;
        break;
      case Lang::kFr:
        s = spell(lang_, double(hour), NumberStyle::kFeminine) + (hour <= 1 ? " heure" : " heures");
        if (mm != 0) s += " " + spell(lang_, mm, NumberStyle::kFeminine);
        break;
      case Lang::kEs:
        s = spell(lang_, double(hour), NumberStyle::kFeminine);
        s += mm == 0 ? " en punto" : " y " + spell(lang_, mm, NumberStyle::kNumbering);
        break;
    }
    return emit(num.begin, k, s);
  }

  // 3rd, 3. (German, before a word), 1er / 3e, 3º / 3ª.
  std::optional<std::size_t> ordinal(const Number& num) {
    if (!num.integer() || num.negative) return std::nullopt;
    const std::size_t k = num.end;
    const auto suffix = [&](std::u32string_view s) {
      bool capitalised = false;
      return (matches(k, s, &capitalised) || matches(k, s)) && !is_letter(at(k + s.size()));
    };
    NumberStyle style = NumberStyle::kOrdinal;
    std::size_t end = 0;
    switch (lang_) {
      case Lang::kEn:
        for (const std::u32string_view s : {U"st", U"nd", U"rd", U"th", U"ST", U"ND", U"RD", U"TH"})
          if (suffix(s)) end = k + 2;
        break;
      case Lang::kDe:
        if (at(k) == U'.' && at(k + 1) == U' ' && is_letter(at(k + 2))) {
          end = k + 1;
          const std::string w = previous_word(num.begin);
          for (const char* p : {"am", "im", "vom", "zum", "beim", "dem", "den", "des"})
            if (w == p) style = NumberStyle::kOrdinalDative;
        }
        break;
      case Lang::kFr:
        for (const std::u32string_view s : {U"ère", U"re"})
          if (!end && suffix(s)) end = k + s.size(), style = NumberStyle::kOrdinalFeminine;
        for (const std::u32string_view s : {U"ème", U"eme", U"er", U"e"})
          if (!end && suffix(s)) end = k + s.size();
        break;
      case Lang::kEs: {
        const std::size_t m = at(k) == U'.' ? k + 1 : k;
        if (at(m) == U'º' || at(m) == U'°' || at(m) == U'ª') {
          if (at(m) == U'ª') style = NumberStyle::kOrdinalFeminine;
          if (!is_letter(at(m + 1)) && (at(m) != U'°' || at(m + 1) != U'C')) end = m + 1;
        }
        break;
      }
    }
    if (end == 0) return std::nullopt;
    return emit(num.begin, end, spell(lang_, num.value(), style));
  }

  // 2024-05-01 everywhere; 5/1/2024 (en), 1.5.2024 (de), 1/5/2024 (fr, es).
  std::optional<std::size_t> date(std::size_t i) {
    int y = 0, m = 0, d = 0;
    std::size_t end = 0;
    if (const auto yy = digits(i, 4, 4); yy && at(i + 4) == U'-') {
      const auto mm = digits(i + 5, 2, 2);
      const auto dd = at(i + 7) == U'-' ? digits(i + 8, 2, 2) : std::nullopt;
      if (!mm || !dd) return std::nullopt;
      y = *yy, m = *mm, d = *dd, end = i + 10;
    } else {
      const char32_t sep = lang_ == Lang::kDe ? U'.' : U'/';
      std::size_t k = i;
      int parts[3] = {0, 0, 0};
      for (int p = 0; p < 3; ++p) {
        const auto v = p < 2 ? digits(k, 1, 2) : digits(k, 4, 4);
        if (!v) return std::nullopt;
        parts[p] = *v;
        while (is_digit(at(k))) ++k;
        if (p < 2) {
          if (at(k) != sep) return std::nullopt;
          ++k;
        }
      }
      end = k;
      y = parts[2];
      m = lang_ == Lang::kEn ? parts[0] : parts[1];
      d = lang_ == Lang::kEn ? parts[1] : parts[0];
    }
    if (m < 1 || m > 12 || d < 1 || d > 31 || is_alnum(at(end))) return std::nullopt;
    const std::string month(data_.months[static_cast<std::size_t>(m - 1)]);
    std::string s;
    switch (lang_) {
      case Lang::kEn:
        s = month + " " + spell(lang_, d, NumberStyle::kOrdinal) + ", " +
            spell(lang_, y, NumberStyle::kYear);
        break;
      case Lang::kDe: {
        const std::string w = previous_word(i);
        const bool dative = w == "am" || w == "vom" || w == "zum" || w == "bis";
        s = spell(lang_, d, dative ? NumberStyle::kOrdinalDative : NumberStyle::kOrdinal) + " " +
            month + " " + spell(lang_, y, NumberStyle::kYear);
        break;
      }
      case Lang::kFr:
        s = (d == 1 ? std::string("premier") : spell(lang_, d, NumberStyle::kMasculine)) + " " +
            month + " " + spell(lang_, y, NumberStyle::kNumbering);
        break;
      case Lang::kEs:
        s = (d == 1 ? std::string("primero") : spell(lang_, d, NumberStyle::kMasculine)) + " de " +
            month + " de " + spell(lang_, y, NumberStyle::kNumbering);
        break;
    }
    return emit(i, end, s);
  }

  const MappedText& seg_;
  Lang lang_;
  const LangData& data_;
  std::vector<char32_t> cps_;
  std::vector<std::size_t> offsets_;
  MappedText out_;
  char32_t last_ = 0;
  bool pending_per_ = false;
};

}  // namespace

MappedText verbalize(const MappedText& segment, std::string_view language) {
  const std::optional<Lang> lang = detail::normalization_language(language);
  if (!lang || segment.spans.size() != count_code_points(segment.text)) return segment;
  return Verbalizer(segment, *lang).run();
}

}  // namespace lector::text
