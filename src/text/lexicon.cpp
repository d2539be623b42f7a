#include "text/lexicon.h"

#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "text/char_class.h"
#include "text/utf8.h"

namespace lector::text {

namespace {

// A regex entry that runs longer than this many steps of ICU's match engine (on the order of
// milliseconds) gives up on the segment: a catastrophic pattern costs one entry, not a thread.
constexpr int32_t kRegexTimeLimit = 50;

// Where an entry applies; empty fields apply everywhere.
struct Scope {
  std::string lang;    // primary subtag or full tag, lower case
  std::string engine;  // "espeak"
  std::string voice;   // the voice's name within its engine
};

struct Entry {
  std::u32string key;  // case-folded, white space as single spaces; empty for a regex
  std::shared_ptr<const icu::RegexPattern> regex;
  std::string replacement;
  bool phonemes = false;  // [[…]]: espeak-ng's phoneme input, for espeak only
  Scope scope;
};

char32_t fold(char32_t c) {
  return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool scope_matches(const Scope& scope, const LexiconContext& context) {
  if (!scope.lang.empty()) {
    const std::string lang = lower_ascii(context.language);
    if (lang != scope.lang &&
        !(lang.size() > scope.lang.size() && lang.compare(0, scope.lang.size(), scope.lang) == 0 &&
          (lang[scope.lang.size()] == '-' || lang[scope.lang.size()] == '_')))
      return false;
  }
  if (!scope.engine.empty() && lower_ascii(context.engine) != scope.engine) return false;
  if (!scope.voice.empty() && lower_ascii(context.voice) != scope.voice) return false;
  return true;
}

std::u32string folded_key(std::string_view word) {
  std::u32string key;
  bool space = false;
  for (std::size_t pos = 0; pos < word.size();) {
    const char32_t c = decode_next(word, pos);
    if (detail::is_space(c)) {
      space = !key.empty();
      continue;
    }
    if (space) key.push_back(U' ');
    space = false;
    key.push_back(fold(c));
  }
  return key;
}

}  // namespace

struct Lexicon::Entries {
  // Request additions first, then the file's entries, later lines before earlier ones: the
  // first entry that matches wins.
  std::vector<Entry> entries;
  // Word entries by their first folded code point, longest key first within the order above.
  std::unordered_map<char32_t, std::vector<std::size_t>> by_first;
  std::vector<std::size_t> regexes;

  void index() {
    by_first.clear();
    regexes.clear();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].regex)
        regexes.push_back(i);
      else
        by_first[entries[i].key.front()].push_back(i);
    }
    for (auto& [first, list] : by_first)
      std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
        return entries[a].key.size() > entries[b].key.size();
      });
  }
};

namespace {

[[noreturn]] void bad_line(std::string_view origin, std::size_t line, const std::string& why) {
  throw Error(ErrorCode::kBadParameter,
              "lexicon " + std::string(origin) + ":" + std::to_string(line) + ": " + why,
              "lexicon");
}

Scope parse_section(std::string_view header, std::string_view origin, std::size_t line) {
  Scope scope;
  std::string_view rest = detail::trim(header);
  if (rest.empty() || rest == "*" || rest == "all") return scope;
  while (!rest.empty()) {
    const std::size_t end = rest.find(' ');
    const std::string_view item = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : detail::trim(rest.substr(end));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq + 1 == item.size())
      bad_line(origin, line, "section '" + std::string(item) + "' is not key=value");
    const std::string key = lower_ascii(item.substr(0, eq));
    const std::string value = lower_ascii(item.substr(eq + 1));
    if (key == "lang") {
      scope.lang = value;
    } else if (key == "engine") {
      scope.engine = value;
    } else if (key == "voice") {
      const std::size_t colon = value.find(':');
      if (colon == std::string::npos) {
        scope.voice = value;
      } else {
        scope.engine = value.substr(0, colon);
        scope.voice = value.substr(colon + 1);
      }
    } else {
      bad_line(origin, line, "unknown section key '" + key + "' (lang, engine or voice)");
    }
  }
  return scope;
}

Entry parse_entry(std::string_view key, std::string_view replacement, const Scope& scope,
                  std::string_view origin, std::size_t line) {
  Entry e;
  e.scope = scope;
  key = detail::trim(key);
  replacement = detail::trim(replacement);
  if (key.empty()) bad_line(origin, line, "empty word");
  if (!is_valid_utf8(key) || !is_valid_utf8(replacement)) bad_line(origin, line, "not UTF-8");
  e.replacement = std::string(replacement);
  if (replacement.size() >= 4 && replacement.substr(0, 2) == "[[" &&
      replacement.substr(replacement.size() - 2) == "]]") {
    if (replacement.find("]]") != replacement.size() - 2)
      bad_line(origin, line, "phonemes must be one [[…]]");
    e.phonemes = true;
  }
  if (key.size() >= 3 && key.front() == '/' && key.back() == '/') {
    const std::string pattern = "\\b(?:" + std::string(key.substr(1, key.size() - 2)) + ")\\b";
    UErrorCode status = U_ZERO_ERROR;
    UParseError where{};
    std::shared_ptr<const icu::RegexPattern> compiled(icu::RegexPattern::compile(
        icu::UnicodeString::fromUTF8(pattern), UREGEX_CASE_INSENSITIVE, where, status));
    if (U_FAILURE(status) || !compiled)
      bad_line(origin, line, "bad regex " + std::string(key) + " (" + u_errorName(status) + ")");
    e.regex = std::move(compiled);
    return e;
  }
  e.key = folded_key(key);
  return e;
}

// Code points of `m`, and the byte offset of each (one more at the end).
struct Decoded {
  std::vector<char32_t> cps;
  std::vector<std::size_t> offsets;
  explicit Decoded(const std::string& s) {
    for (std::size_t pos = 0; pos < s.size();) {
      offsets.push_back(pos);
      cps.push_back(decode_next(s, pos));
    }
    offsets.push_back(s.size());
  }
};

bool is_word(char32_t c) {
  return detail::is_word_char(c) || c == U'_';
}

void copy_range(const MappedText& from, const Decoded& d, std::size_t first, std::size_t last,
                MappedText& to) {
  if (first >= last) return;
  to.text.append(from.text, d.offsets[first], d.offsets[last] - d.offsets[first]);
  to.spans.insert(to.spans.end(), from.spans.begin() + static_cast<std::ptrdiff_t>(first),
                  from.spans.begin() + static_cast<std::ptrdiff_t>(last));
}

// The replacement of one regex match: $0…$9 are the groups.
std::string expand(const std::string& replacement, icu::RegexMatcher& matcher) {
  std::string out;
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] == '$' && i + 1 < replacement.size() && replacement[i + 1] >= '0' &&
        replacement[i + 1] <= '9') {
      UErrorCode status = U_ZERO_ERROR;
      const int32_t group = replacement[i + 1] - '0';
      if (group <= matcher.groupCount()) {
        const icu::UnicodeString g = matcher.group(group, status);
        if (U_SUCCESS(status)) g.toUTF8String(out);
      }
      ++i;
    } else {
      out.push_back(replacement[i]);
    }
  }
  return out;
}

MappedText apply_regex(const MappedText& in, const Entry& e) {
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(in.text);
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> matcher(e.regex->matcher(text, status));
  if (U_FAILURE(status)) return in;
  matcher->setTimeLimit(kRegexTimeLimit, status);
  const Decoded d(in.text);
  MappedText out;
  std::size_t copied = 0;  // code points
  while (matcher->find(status) && U_SUCCESS(status)) {
    const int32_t start16 = matcher->start(status);
    const int32_t end16 = matcher->end(status);
    if (U_FAILURE(status) || end16 == start16) continue;
    const auto first = static_cast<std::size_t>(text.countChar32(0, start16));
    const auto last = first + static_cast<std::size_t>(text.countChar32(start16, end16 - start16));
    copy_range(in, d, copied, first, out);
    out.append(expand(e.replacement, *matcher), source_of(in, first, last - first));
    copied = last;
  }
  if (U_FAILURE(status)) return in;  // U_REGEX_TIME_OUT: this entry leaves the segment alone
  copy_range(in, d, copied, d.cps.size(), out);
  return out;
}

}  // namespace

Lexicon::Lexicon() : entries_(std::make_shared<const Entries>()) {}
Lexicon::~Lexicon() = default;
Lexicon::Lexicon(const Lexicon&) = default;
Lexicon& Lexicon::operator=(const Lexicon&) = default;
Lexicon::Lexicon(Lexicon&&) noexcept = default;
Lexicon& Lexicon::operator=(Lexicon&&) noexcept = default;

Lexicon Lexicon::parse(std::string_view content, std::string_view origin) {
  auto entries = std::make_shared<Entries>();
  Scope scope;
  std::size_t line_number = 0;
  while (!content.empty()) {
    ++line_number;
    const std::size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed = detail::trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (trimmed.front() == '[' && trimmed.back() == ']' && line.find('\t') == std::string::npos) {
      scope = parse_section(trimmed.substr(1, trimmed.size() - 2), origin, line_number);
      continue;
    }
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      bad_line(origin, line_number, "no tab between the word and its replacement");
    Entry e = parse_entry(line.substr(0, tab), line.substr(tab + 1), scope, origin, line_number);
    if (e.replacement.empty()) bad_line(origin, line_number, "empty replacement");
    entries->entries.push_back(std::move(e));
  }
  std::reverse(entries->entries.begin(), entries->entries.end());  // later lines win
  entries->index();
  Lexicon lexicon;
  lexicon.entries_ = std::move(entries);
  return lexicon;
}

Lexicon Lexicon::with_additions(
    const std::vector<std::pair<std::string, std::string>>& additions) const {
  auto entries = std::make_shared<Entries>();
  for (std::size_t i = additions.size(); i-- > 0;) {
    const auto& [word, replacement] = additions[i];
    if (detail::trim(word).empty())
      throw Error(ErrorCode::kBadParameter, "lexicon: an entry has an empty word", "lexicon");
    if (detail::trim(replacement).empty())
      throw Error(ErrorCode::kBadParameter,
                  "lexicon: the entry for '" + word + "' has an empty replacement", "lexicon");
    entries->entries.push_back(parse_entry(word, replacement, {}, "request", i + 1));
  }
  entries->entries.insert(entries->entries.end(), entries_->entries.begin(),
                          entries_->entries.end());
  entries->index();
  Lexicon lexicon;
  lexicon.entries_ = std::move(entries);
  return lexicon;
}

MappedText Lexicon::apply(const MappedText& segment, const LexiconContext& context) const {
  const Entries& all = *entries_;
  if (all.entries.empty() || segment.spans.size() != count_code_points(segment.text))
    return segment;
  const auto applies = [&](const Entry& e) {
    return scope_matches(e.scope, context) &&
           (!e.phonemes || lower_ascii(context.engine) == "espeak");
  };
  // Regexes first (the earliest, highest-priority entry first), then whole words.
  MappedText current = segment;
  for (auto it = all.regexes.rbegin(); it != all.regexes.rend(); ++it)
    if (applies(all.entries[*it])) current = apply_regex(current, all.entries[*it]);

  const Decoded d(current.text);
  std::u32string folded(d.cps.size(), U'\0');
  std::transform(d.cps.begin(), d.cps.end(), folded.begin(),
                 [](char32_t c) { return detail::is_space(c) ? U' ' : fold(c); });
  MappedText out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < folded.size();) {
    const bool word_start = i == 0 || !is_word(folded[i - 1]);
    const auto bucket = all.by_first.find(folded[i]);
    const Entry* hit = nullptr;
    if (bucket != all.by_first.end()) {
      for (const std::size_t index : bucket->second) {
        const Entry& e = all.entries[index];
        const std::size_t end = i + e.key.size();
        if (end > folded.size() || (!word_start && is_word(e.key.front()))) continue;
        if (end < folded.size() && is_word(folded[end]) && is_word(e.key.back())) continue;
        if (folded.compare(i, e.key.size(), e.key) != 0 || !applies(e)) continue;
        hit = &e;
        break;
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    const std::size_t end = i + hit->key.size();
    copy_range(current, d, copied, i, out);
    out.append(hit->replacement, source_of(current, i, end - i));
    copied = i = end;
  }
  copy_range(current, d, copied, d.cps.size(), out);
  return out;
}

std::size_t Lexicon::size() const {
  return entries_->entries.size();
}

}  // namespace lector::text
