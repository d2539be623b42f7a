#include "text/segmenter.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/udata.h>
#include <unicode/unistr.h>
#include <unicode/ures.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <utility>

#include "core/error.h"
#include "text/segmenter_internal.h"

namespace lector::text::detail {
namespace {

// ICU reports failures through a status out-parameter; this turns one into the server's error.
void check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) {
    throw Error(ErrorCode::kInternal,
                std::string("ICU ") + what + " failed: " + u_errorName(status));
  }
}

UChar32 as_uchar32(char32_t c) noexcept {
  return static_cast<UChar32>(c);
}

struct Char {
  char32_t value;
  std::size_t begin;  // byte offset of the code point in the piece being scanned
};

constexpr bool is_continuation(char byte) noexcept {
  return (static_cast<unsigned char>(byte) & 0xC0U) == 0x80U;
}

// Decodes at most `limit` code points from the start of `s`.
std::vector<Char> decode_prefix(std::string_view s, std::size_t limit) {
  std::vector<Char> chars;
  chars.reserve(std::min(limit, s.size()));
  std::size_t pos = 0;
  while (pos < s.size() && chars.size() < limit) {
    const auto [value, length] = decode_at(s, pos);
    chars.push_back({value, pos});
    pos += length;
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

// Closing quotes and brackets belong to the clause before them: `"Yes," she said` is cut after
// the quote, not between the comma and the quote.
bool is_closer(char32_t c) noexcept {
  if (c == U'"' || c == U'\'') return true;
  const auto type = static_cast<UCharCategory>(u_charType(as_uchar32(c)));
  return type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION;
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
  const UChar32 c = as_uchar32(chars[k].value);
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

// espeak voice names ("en-gb-x-rp", "en-us+f3", "cmn") and BCP-47 tags ("en-US") become an ICU
// locale id of language and region ("en_gb"); variants and private-use subtags do not change
// sentence rules. Returns "" for anything that is not made of ASCII letters and digits.
std::string icu_locale_id(std::string_view language) {
  language = language.substr(0, language.find('+'));
  // Longer than any real language_region pair; refusing it keeps odd input away from ICU.
  constexpr std::size_t kMaxLength = 32;
  std::string id;
  std::size_t subtags = 1;
  for (const char c : language) {
    if (c == '-' || c == '_') {
      if (++subtags > 2) break;
      id.push_back('_');
      continue;
    }
    const bool ascii_alnum =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ascii_alnum || id.size() >= kMaxLength) return {};
    id.push_back(c);
  }
  return id;
}

// Names the locale whose rules the iterator will use: the requested language_region or just the
// language when ICU has data for it, else "" for root ("cmn" and other espeak-only codes end up
// there). Keying the cache by these names bounds it by ICU's locale list whatever callers pass.
std::string resolve_locale(std::string_view language) {
  static const std::set<std::string, std::less<>> available = [] {
    std::set<std::string, std::less<>> names;
    int32_t count = 0;
    const icu::Locale* locales = icu::BreakIterator::getAvailableLocales(count);
    for (int32_t i = 0; i < count; ++i) names.emplace(locales[i].getName());
    return names;
  }();

  const std::string id = icu_locale_id(language);
  if (id.empty()) return {};
  const icu::Locale locale(id.c_str());
  if (locale.isBogus()) return {};
  if (available.contains(std::string_view(locale.getName()))) return locale.getName();
  if (available.contains(std::string_view(locale.getLanguage()))) return locale.getLanguage();
  return {};
}

// True when a break inside the white space after a sentence came from a line or paragraph
// separator rather than from the full stop; such a break is kept even after an abbreviation.
bool has_line_break(std::string_view space) noexcept {
  for (std::size_t pos = 0; pos < space.size();) {
    const auto [value, length] = decode_at(space, pos);
    if ((value >= 0x0A && value <= 0x0D) || value == 0x85 || value == 0x2028 || value == 0x2029) {
      return true;
    }
    pos += length;
  }
  return false;
}

}  // namespace

// This decoder is lenient, unlike the one behind is_valid_utf8, because split_segments does not
// require valid input; nothing is read past the end.
std::pair<char32_t, std::size_t> decode_at(std::string_view s, std::size_t pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  constexpr std::pair<char32_t, std::size_t> kReplacement{0xFFFD, 1};
  std::size_t length = 1;
  char32_t value = lead;
  if (lead >= 0xC2U && lead <= 0xDFU) {
    length = 2;
    value = lead & 0x1FU;
  } else if (lead >= 0xE0U && lead <= 0xEFU) {
    length = 3;
    value = lead & 0x0FU;
  } else if (lead >= 0xF0U && lead <= 0xF4U) {
    length = 4;
    value = lead & 0x07U;
  } else if (lead >= 0x80U) {
    return kReplacement;
  }
  if (s.size() - pos < length) return kReplacement;
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation(s[pos + i])) return kReplacement;
    value = (value << 6U) | (byte(pos + i) & 0x3FU);
  }
  return {value, length};
}

std::size_t previous_start(std::string_view s, std::size_t end) noexcept {
  std::size_t start = end - 1;
  while (start > 0 && is_continuation(s[start])) --start;
  return start;
}

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

bool is_clause_mark(char32_t c) noexcept {
  return clause_kind(c) != Clause::kNone;
}

// Opening quotes and brackets may stand before an abbreviation: "(Dr. Smith)".
bool is_opener(char32_t c) noexcept {
  if (c == U'"' || c == U'\'' || c == U'\u00BF' || c == U'\u00A1') return true;
  const auto type = static_cast<UCharCategory>(u_charType(as_uchar32(c)));
  return type == U_START_PUNCTUATION || type == U_INITIAL_PUNCTUATION;
}

std::string_view trim_left(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto [value, length] = decode_at(s, pos);
    if (!is_space(value)) break;
    pos += length;
  }
  return s.substr(pos);
}

// Walks backwards so that trimming the end of a long piece costs only the trimmed bytes.
std::string_view trim_right(std::string_view s) noexcept {
  std::size_t end = s.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && is_continuation(s[start])) --start;
    const auto [value, length] = decode_at(s, start);
    // A sequence that does not reach `end` is ill-formed, not white space.
    if (start + length != end || !is_space(value)) break;
    end = start;
  }
  return s.substr(0, end);
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

// Abbreviations after which a full stop does not end a sentence, matched as whole words,
// case-sensitively, as CLDR lists them ("Mr.", "z.B.", "v. Chr.").
//
// ICU's own FilteredBreakIteratorBuilder applies the same lists but matches them as bare
// suffixes: with ICU 72 "Er kam. Er ging." stays one sentence because German lists "am.", and
// "My name is Philipp. Hi." because English lists "pp.". So the lists are read from ICU's data
// here and matched only where the abbreviation starts a word.
class Abbreviations {
 public:
  void add(std::string abbreviation) {
    const auto spaces =
        static_cast<std::size_t>(std::count(abbreviation.begin(), abbreviation.end(), ' '));
    max_words_ = std::max(max_words_, spaces + 1);
    longest_ = std::max(longest_, abbreviation.size());
    entries_.insert(std::move(abbreviation));
  }

  // Languages that write ordinals as "3." ("am 3. Mai") would otherwise lose the sentence to a
  // break after every date. 1-3 digits covers days, months and "19. Jahrhundert" but not
  // years, which do end sentences ("Das war 2020.").
  void add_ordinals() {
    ordinals_ = true;
    longest_ = std::max(longest_, kLongestOrdinal);
  }

  // Bytes in the longest entry or ordinal: no longer tail of a sentence can match.
  std::size_t longest() const noexcept { return longest_; }

  // True when trimmed `sentence` ends with a listed abbreviation, or an ordinal where those are
  // enabled, that starts a word.
  bool ends(std::string_view sentence) const {
    if (sentence.empty() || sentence.back() != '.') return false;
    std::size_t start = sentence.size();
    for (std::size_t words = 0; words < std::max<std::size_t>(max_words_, 1) && start > 0;
         ++words) {
      // Back over one token, then try it (with the tokens after it) with and without the
      // opening quotes or brackets in front of it.
      while (start > 0) {
        const std::size_t prev = previous_start(sentence, start);
        if (is_space(decode_at(sentence, prev).first)) break;
        start = prev;
      }
      std::size_t candidate = start;
      while (true) {
        const std::string_view tail = sentence.substr(candidate);
        if (entries_.contains(tail)) return true;
        if (words == 0 && ordinals_ && is_ordinal(tail)) return true;
        if (candidate == sentence.size()) break;
        const auto [value, length] = decode_at(sentence, candidate);
        if (!is_opener(value)) break;
        candidate += length;
      }
      while (start > 0) {
        const std::size_t prev = previous_start(sentence, start);
        if (!is_space(decode_at(sentence, prev).first)) break;
        start = prev;
      }
    }
    return false;
  }

 private:
  static bool is_ordinal(std::string_view token) noexcept {
    const std::string_view digits = token.substr(0, token.size() - 1);
    return !digits.empty() && digits.size() < kLongestOrdinal &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  // Three digits and the full stop.
  static constexpr std::size_t kLongestOrdinal = 4;

  std::set<std::string, std::less<>> entries_;
  std::size_t max_words_ = 0;
  std::size_t longest_ = 0;
  bool ordinals_ = false;
};

namespace {

// English titles that nearly always precede a name, and Latin abbreviations that introduce an
// example, missing from CLDR's English list. The price: "He lives on Elm St. The house is red."
// stays one segment, which costs a little latency and no audio.
constexpr const char* kEnglishAbbreviations[] = {
    "Dr.", "Drs.", "St.", "Gen.", "Gov.", "Sen.", "Messrs.", "e.g.", "i.e.", "cf.",
};

// Languages that mark ordinal numbers with a full stop ("3." for "third").
constexpr std::string_view kOrdinalDotLanguages[] = {
    "bs", "cs", "da", "de", "et", "fi", "hr", "hu", "is",
    "lv", "nb", "nn", "no", "sk", "sl", "sr", "tr",
};

// What one locale needs to find sentences. Immutable once built, so it is shared by all threads;
// only the prototype's clone() is serialized, by the cache's mutex.
struct LocaleRules {
  std::unique_ptr<icu::BreakIterator> prototype;
  Abbreviations abbreviations;
};

std::unique_ptr<LocaleRules> make_rules(const std::string& locale_name) {
  auto rules = std::make_unique<LocaleRules>();
  // Locale("") would be the process default locale, not root.
  icu::Locale locale =
      locale_name.empty() ? icu::Locale::getRoot() : icu::Locale(locale_name.c_str());
  // Taken before any fallback to root below: these rules hold even where ICU has no data.
  const std::string language = locale.getLanguage();

  // The abbreviation lists live in ICU's break-iterator data ("brkitr" tree), under
  // exceptions/SentenceBreak. When ICU has no break data for a locale ("nl") it falls back to the
  // process default locale; that must not decide how Dutch is split, so such a locale uses root.
  UErrorCode status = U_ZERO_ERROR;
  icu::LocalUResourceBundlePointer bundle(
      ures_open(U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "brkitr", locale.getBaseName(), &status));
  if (status == U_USING_DEFAULT_WARNING || U_FAILURE(status)) {
    locale = icu::Locale::getRoot();
  } else {
    icu::LocalUResourceBundlePointer exceptions(
        ures_getByKey(bundle.getAlias(), "exceptions", nullptr, &status));
    icu::LocalUResourceBundlePointer list(
        ures_getByKey(exceptions.getAlias(), "SentenceBreak", nullptr, &status));
    // A missing list (root, "zh", "ja") is normal and leaves the set empty.
    const int32_t size = U_SUCCESS(status) ? ures_getSize(list.getAlias()) : 0;
    for (int32_t i = 0; i < size && U_SUCCESS(status); ++i) {
      int32_t length = 0;
      const UChar* chars = ures_getStringByIndex(list.getAlias(), i, &length, &status);
      if (U_FAILURE(status)) break;
      std::string utf8;
      icu::UnicodeString(false, chars, length).toUTF8String(utf8);
      rules->abbreviations.add(std::move(utf8));
    }
  }
  if (language == "en") {
    for (const char* abbreviation : kEnglishAbbreviations) rules->abbreviations.add(abbreviation);
  }
  if (std::find(std::begin(kOrdinalDotLanguages), std::end(kOrdinalDotLanguages), language) !=
      std::end(kOrdinalDotLanguages)) {
    rules->abbreviations.add_ordinals();
  }

  status = U_ZERO_ERROR;
  rules->prototype.reset(icu::BreakIterator::createSentenceInstance(locale, status));
  check(status, "createSentenceInstance");
  return rules;
}

// One LocaleRules per resolved locale. Building one loads rules and data; cloning its iterator
// is cheap. ICU iterators are not thread-safe, so every call gets its own clone. Entries are
// never removed, so references to them stay valid for the life of the process.
class RulesCache {
 public:
  struct Checkout {
    std::unique_ptr<icu::BreakIterator> iterator;
    const Abbreviations* abbreviations;
  };

  Checkout checkout(const std::string& locale_name) {
    std::lock_guard lock(mutex_);
    auto it = rules_.find(locale_name);
    if (it == rules_.end()) it = rules_.emplace(locale_name, make_rules(locale_name)).first;
    std::unique_ptr<icu::BreakIterator> clone(it->second->prototype->clone());
    if (!clone) throw std::bad_alloc();
    return {std::move(clone), &it->second->abbreviations};
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<LocaleRules>, std::less<>> rules_;
};

RulesCache& rules_cache() {
  // Never destroyed: a thread still segmenting while the process exits must not find the
  // prototypes gone.
  static auto* cache = new RulesCache();
  return *cache;
}

}  // namespace

SentenceBreaker::SentenceBreaker(std::string_view language) {
  RulesCache::Checkout rules = rules_cache().checkout(resolve_locale(language));
  iterator_ = std::move(rules.iterator);
  abbreviations_ = rules.abbreviations;
}

SentenceBreaker::~SentenceBreaker() = default;

void SentenceBreaker::set_text(std::string_view text) {
  // ICU's break iterators report positions as int32_t.
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(ErrorCode::kTooLarge, "text is too large to segment");
  }
  // A UTF-8 UText lets ICU iterate the caller's bytes directly: its native indexes, and so the
  // boundaries the iterator returns, are byte offsets into `text`. No UTF-16 copy, no mapping.
  // An existing UText is reopened in place rather than allocated again.
  UErrorCode status = U_ZERO_ERROR;
  UText* opened = utext_openUTF8(text_.getAlias(), text.empty() ? "" : text.data(),
                                 static_cast<int64_t>(text.size()), &status);
  check(status, "utext_openUTF8");
  if (opened != text_.getAlias()) text_.adoptInstead(opened);
  iterator_->setText(text_.getAlias(), status);
  check(status, "BreakIterator::setText");
  iterator_->first();
}

std::size_t SentenceBreaker::next() {
  const int32_t boundary = iterator_->next();
  return boundary == icu::BreakIterator::DONE ? kDone : static_cast<std::size_t>(boundary);
}

bool SentenceBreaker::is_abbreviation_stop(std::string_view before) const {
  const std::string_view sentence = trim_right(before);
  return !has_line_break(before.substr(sentence.size())) && abbreviations_->ends(sentence);
}

std::size_t SentenceBreaker::longest_abbreviation() const noexcept {
  return abbreviations_->longest();
}
}  // namespace lector::text::detail

namespace lector::text {
namespace {

// Sentences of `text` as trimmed, non-empty views into it.
std::vector<std::string_view> find_sentences(std::string_view text, std::string_view language) {
  std::vector<std::string_view> sentences;
  if (text.empty()) return sentences;

  detail::SentenceBreaker breaker(language);
  breaker.set_text(text);
  std::size_t begin = 0;
  for (std::size_t end = breaker.next(); end != detail::SentenceBreaker::kDone;
       end = breaker.next()) {
    const std::string_view before = text.substr(begin, end - begin);
    if (end < text.size() && breaker.is_abbreviation_stop(before)) continue;
    const std::string_view trimmed = detail::trim_left(detail::trim_right(before));
    if (!trimmed.empty()) sentences.push_back(trimmed);
    begin = end;
  }
  return sentences;
}
}  // namespace

std::vector<std::string> split_segments(std::string_view utf8_text, std::string_view language,
                                        const SegmenterOptions& options) {
  // ICU's break iterators report positions as int32_t.
  if (utf8_text.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(ErrorCode::kTooLarge, "text is too large to segment");
  }
  // A cap of 0 would leave nothing to put in a segment. A piece never has more code points than
  // bytes, so clamping to the text size changes nothing else and keeps cap + 1 from overflowing.
  const std::size_t cap = std::clamp<std::size_t>(options.max_segment_chars, 1,
                                                  std::max<std::size_t>(utf8_text.size(), 1));

  std::vector<std::string_view> pieces;
  for (const std::string_view sentence : find_sentences(utf8_text, language)) {
    detail::append_capped(sentence, cap, pieces);
  }
  detail::split_first_fragment(pieces, options.first_fragment_min_words);

  std::vector<std::string> segments;
  segments.reserve(pieces.size());
  for (const std::string_view piece : pieces) segments.emplace_back(piece);
  return segments;
}

}  // namespace lector::text
