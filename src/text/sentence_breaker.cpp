#include "text/sentence_breaker.h"

#include <unicode/locid.h>
#include <unicode/udata.h>
#include <unicode/unistr.h>
#include <unicode/ures.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <utility>

#include "core/error.h"
#include "text/char_class.h"
#include "text/utf8.h"

namespace lector::text::detail {
namespace {

// ICU reports failures through a status out-parameter; this turns one into the server's error.
void check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) {
    throw Error(ErrorCode::kInternal,
                std::string("ICU ") + what + " failed: " + u_errorName(status));
  }
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
    const char32_t c = decode_next(space, pos);
    if ((c >= 0x0A && c <= 0x0D) || c == 0x85 || c == 0x2028 || c == 0x2029) return true;
  }
  return false;
}

}  // namespace

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
        if (is_space(decode_at(sentence, prev).value)) break;
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
        if (!is_space(decode_at(sentence, prev).value)) break;
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
