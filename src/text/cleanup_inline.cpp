// Kept whole past the size limit, because the writer and the token rules are one unit (every
// rule writes through the writer's pending spaces, cell commas and sentence ends), and splitting
// the rules of one token across files would hide their order, which matters (links before
// addresses before emphasis before punctuation).
#include "text/cleanup_inline.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "text/char_class.h"
#include "text/utf8.h"

namespace lector::text::detail {

bool is_final_punctuation(char32_t c) noexcept {
  switch (c) {
    case U'.':
    case U'!':
    case U'?':
    case U':':
    case U';':
    case U'\u2026':
    case U'\u3002':
    case U'\uFF01':
    case U'\uFF1F':
    case U'\uFF1A':
    case U'\uFF1B':
      return true;
    default:
      return false;
  }
}

// Punctuation that leans on the word before it: markup dropped between the two ("`code`.",
// a named emoji before "!") leaves no space in front of it.
bool leans_left(char32_t c) noexcept {
  return c == U'.' || c == U',' || c == U'!' || c == U'?' || c == U';' || c == U':' || c == U')' ||
         c == U']' || c == U'\u2026';
}

void CleanWriter::before_visible(char32_t next) {
  if (cell_pending_ && line_emitted_) {
    out_.append(",", cell_span_);
    out_.append(" ", cell_span_);
  } else if (space_pending_ && any_ && !leans_left(next)) {
    out_.append(space_newline_ ? "\n" : " ", space_span_);
  }
  cell_pending_ = false;
  space_pending_ = false;
  space_newline_ = false;
  any_ = true;
  line_emitted_ = true;
  open_sentence_ = true;
}

void CleanWriter::text(char32_t c, std::uint32_t pos) {
  before_visible(c);
  append_utf8(out_.text, c);
  out_.spans.push_back({pos, pos + 1});
  before_last_ = last_;
  last_ = c;
}

void CleanWriter::inserted(std::string_view s, SourceSpan span) {
  if (s.empty()) return;
  before_visible(0);
  out_.append(s, span);
  before_last_ = last_;
  last_ = decode_at(s, previous_start(s, s.size())).value;
}

void CleanWriter::space(std::uint32_t pos, bool newline) {
  if (!space_pending_) space_span_ = {pos, pos + 1};
  space_pending_ = true;
  space_newline_ = space_newline_ || newline;
}

void CleanWriter::cell_break(std::uint32_t pos) {
  cell_pending_ = true;
  cell_span_ = {pos, pos + 1};
}

void CleanWriter::end_sentence(SourceSpan span) {
  cell_pending_ = false;
  if (!open_sentence_) return;
  open_sentence_ = false;
  // "Done." and ("Done.") already end; a closing quote after the punctuation counts as well.
  if (is_final_punctuation(last_) || (is_closer(last_) && is_final_punctuation(before_last_)))
    return;
  out_.append(".", span);
  before_last_ = last_;
  last_ = U'.';
}

void CleanWriter::new_line() {
  line_emitted_ = false;
  cell_pending_ = false;
}

MappedText CleanWriter::take() {
  MappedText out = std::move(out_);
  out_ = {};
  return out;
}

void CleanWriter::reset() {
  *this = CleanWriter{};
}

namespace {

// One code point of a token on its way through the rules.
struct Item {
  char32_t c = 0;
  std::uint32_t pos = 0;
  bool keep = true;
  bool literal = false;   // escaped with '\': never markup
  bool as_space = false;  // intra-word '_' or a "--" run: a word break
};

bool is_ascii_alpha(char32_t c) noexcept {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}
bool is_ascii_digit(char32_t c) noexcept {
  return c >= U'0' && c <= U'9';
}
bool is_ascii_punct(char32_t c) noexcept {
  return c >= 0x21 && c <= 0x7E && !is_ascii_alpha(c) && !is_ascii_digit(c);
}
bool is_host_char(char32_t c) noexcept {
  return is_ascii_alpha(c) || is_ascii_digit(c) || c == U'-' || c == U'.' || c > 0x7F;
}
bool is_mail_local_char(char32_t c) noexcept {
  return is_ascii_alpha(c) || is_ascii_digit(c) || c == U'.' || c == U'_' || c == U'%' ||
         c == U'+' || c == U'-';
}

// Pictographs read as emoji; the © and ® of Latin-1 stay text.
bool is_emoji(char32_t c) noexcept {
  return c >= 0x2000 && u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_EXTENDED_PICTOGRAPHIC);
}
// Parts of emoji sequences that have no reading of their own: variation selectors, keycap,
// skin tones, regional indicators (flags), tags.
bool is_emoji_part(char32_t c) noexcept {
  return c == 0xFE0E || c == 0xFE0F || c == 0x20E3 || (c >= 0x1F3FB && c <= 0x1F3FF) ||
         (c >= 0x1F1E6 && c <= 0x1F1FF) || (c >= 0xE0020 && c <= 0xE007F);
}
// Box drawing and block elements, bullets and middle dots drawn by chat clients.
bool is_drawing(char32_t c) noexcept {
  return (c >= 0x2500 && c <= 0x259F) || c == 0x2022 || c == 0x00B7 || c == 0x25CF || c == 0x25E6 ||
         c == 0x25AA;
}

std::string emoji_name(char32_t c) {
  char buffer[128];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = u_charName(static_cast<UChar32>(c), U_UNICODE_CHAR_NAME, buffer,
                               static_cast<int32_t>(sizeof buffer), &status);
  if (U_FAILURE(status) || n <= 0) return {};
  std::string name(buffer, static_cast<std::size_t>(std::min<int32_t>(n, sizeof buffer - 1)));
  for (char& ch : name) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch == '-') ch = ' ';
  }
  return name;
}

// "dot" and "at" in the language of the text; English when the language has none here.
struct AddressWords {
  std::string_view dot;
  std::string_view at;
};
AddressWords address_words(std::string_view language) {
  const std::string_view primary = language.substr(0, language.find_first_of("-_"));
  if (primary == "de") return {"Punkt", "at"};
  if (primary == "fr") return {"point", "arobase"};
  if (primary == "es") return {"punto", "arroba"};
  return {"dot", "at"};
}

class TokenCleaner {
 public:
  TokenCleaner(std::span<const SourceChar> token, const CleanupOptions& options, CleanWriter& out)
      : options_(options), out_(out), words_(address_words(options.language)) {
    items_.reserve(token.size());
    for (const SourceChar& sc : token) items_.push_back({sc.c, sc.pos});
    // Addresses: [begin, end) ranges of items spoken as hosts or mailboxes.
    spoken_.assign(items_.size(), Spoken::kNone);
  }

  void run() {
    escapes();
    tags_and_autolinks();
    links();
    addresses();
    emphasis();
    punctuation();
    write();
  }

 private:
  enum class Spoken { kNone, kHost, kMail, kDrop };

  bool markup(std::size_t i, char32_t c) const {
    return items_[i].keep && !items_[i].literal && items_[i].c == c && spoken_[i] == Spoken::kNone;
  }
  // The nearest kept neighbour's code point, or a space at the token's edge.
  char32_t kept_before(std::size_t i) const {
    while (i > 0) {
      --i;
      if (items_[i].keep && !items_[i].as_space) return items_[i].c;
      if (items_[i].as_space) return U' ';
    }
    return U' ';
  }
  char32_t kept_after(std::size_t i) const {
    for (++i; i < items_.size(); ++i) {
      if (items_[i].keep && !items_[i].as_space) return items_[i].c;
      if (items_[i].as_space) return U' ';
    }
    return U' ';
  }

  void escapes() {
    for (std::size_t i = 0; i + 1 < items_.size(); ++i) {
      if (items_[i].c == U'\\' && is_ascii_punct(items_[i + 1].c)) {
        items_[i].keep = false;
        items_[i + 1].literal = true;
        ++i;
      }
    }
  }

  // <br>, </p>, <b/> are dropped; <https://…> and <bob@example.org> lose their brackets.
  void tags_and_autolinks() {
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (!markup(i, U'<')) continue;
      std::size_t j = i + 1;
      while (j < items_.size() && items_[j].c != U'>') ++j;
      if (j == items_.size()) return;
      std::size_t k = i + 1;
      if (k < j && items_[k].c == U'/') ++k;
      bool tag = k < j && is_ascii_alpha(items_[k].c);
      for (std::size_t m = k; tag && m < j; ++m)
        tag = is_ascii_alpha(items_[m].c) || is_ascii_digit(items_[m].c) ||
              (items_[m].c == U'/' && m + 1 == j);
      if (tag) {
        for (std::size_t m = i; m <= j; ++m) items_[m].keep = false;
        items_[i].as_space = true;
      } else if (looks_like_address(i + 1, j)) {
        items_[i].keep = false;
        items_[j].keep = false;
      }
      i = j;
    }
  }

  bool looks_like_address(std::size_t begin, std::size_t end) const {
    bool at = false;
    for (std::size_t m = begin; m < end; ++m) {
      if (items_[m].c == U':' && m + 2 < end && items_[m + 1].c == U'/') return true;
      if (items_[m].c == U'@') at = true;
    }
    return at;
  }

  // [label](url) -> label, ![alt](url) -> alt; stray brackets are silent.
  void links() {
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (markup(i, U'[')) {
        items_[i].keep = false;
        if (i > 0 && markup(i - 1, U'!')) items_[i - 1].keep = false;
      } else if (markup(i, U']')) {
        items_[i].keep = false;
        if (i + 1 < items_.size() && items_[i + 1].c == U'(') {
          int depth = 0;
          std::size_t j = i + 1;
          for (; j < items_.size(); ++j) {
            if (items_[j].c == U'(') ++depth;
            if (items_[j].c == U')' && --depth == 0) break;
          }
          if (j < items_.size()) {
            for (std::size_t m = i + 1; m <= j; ++m) items_[m].keep = false;
            i = j;
          }
        }
      }
    }
  }

  // Bare URLs and e-mail addresses among the kept code points.
  void addresses() {
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i].keep) kept.push_back(i);
    const auto at = [&](std::size_t k) { return k < kept.size() ? items_[kept[k]].c : U'\0'; };
    const auto starts = [&](std::size_t k, std::u32string_view word) {
      for (std::size_t m = 0; m < word.size(); ++m) {
        char32_t c = at(k + m);
        if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
        if (c != word[m]) return false;
      }
      return true;
    };
    for (std::size_t k = 0; k < kept.size(); ++k) {
      if (k > 0 && (is_ascii_alpha(at(k - 1)) || is_ascii_digit(at(k - 1)))) continue;
      std::size_t host = kept.size();
      if (starts(k, U"https://"))
        host = k + 8;
      else if (starts(k, U"http://"))
        host = k + 7;
      else if (starts(k, U"ftp://"))
        host = k + 6;
      else if (starts(k, U"www."))
        host = k;
      else if (starts(k, U"mailto:")) {
        for (std::size_t m = k; m < k + 7; ++m) spoken_[kept[m]] = Spoken::kDrop;
        k += 6;
        continue;
      }
      if (host == kept.size()) continue;
      mark_url(kept, k, host);
      return;
    }
    for (std::size_t k = 0; k < kept.size(); ++k) {
      if (at(k) == U'@' && spoken_[kept[k]] == Spoken::kNone) mark_mail(kept, k);
    }
  }

  // The URL's host is read, its scheme, user, port, path, query and trailing punctuation not.
  void mark_url(const std::vector<std::size_t>& kept, std::size_t begin, std::size_t host) {
    std::size_t end = kept.size();
    while (end > host && is_trailing(items_[kept[end - 1]].c)) --end;
    std::size_t host_end = host;
    while (host_end < end && is_host_char(items_[kept[host_end]].c)) ++host_end;
    if (host_end < end && items_[kept[host_end]].c == U'@') {  // user@host
      for (std::size_t m = host; m <= host_end; ++m) spoken_[kept[m]] = Spoken::kDrop;
      host = host_end + 1;
      host_end = host;
      while (host_end < end && is_host_char(items_[kept[host_end]].c)) ++host_end;
    }
    std::size_t host_begin = host;
    if (host_end - host_begin > 4) {
      char32_t w[4];
      for (std::size_t m = 0; m < 4; ++m) w[m] = items_[kept[host_begin + m]].c | 0x20;
      if (w[0] == U'w' && w[1] == U'w' && w[2] == U'w' && w[3] == (U'.' | 0x20)) host_begin += 4;
    }
    while (host_end > host_begin && items_[kept[host_end - 1]].c == U'.') --host_end;
    for (std::size_t m = begin; m < end; ++m)
      spoken_[kept[m]] = m >= host_begin && m < host_end ? Spoken::kHost : Spoken::kDrop;
  }

  void mark_mail(const std::vector<std::size_t>& kept, std::size_t at) {
    std::size_t begin = at;
    while (begin > 0 && is_mail_local_char(items_[kept[begin - 1]].c) &&
           spoken_[kept[begin - 1]] == Spoken::kNone)
      --begin;
    std::size_t end = at + 1;
    bool dot = false;
    while (end < kept.size() && is_host_char(items_[kept[end]].c)) {
      dot = dot || items_[kept[end]].c == U'.';
      ++end;
    }
    while (end > at + 1 && items_[kept[end - 1]].c == U'.') --end;
    if (begin == at || end == at + 1 || !dot) return;
    for (std::size_t m = begin; m < end; ++m) spoken_[kept[m]] = Spoken::kMail;
  }

  static bool is_trailing(char32_t c) noexcept {
    return c == U'.' || c == U',' || c == U';' || c == U':' || c == U'!' || c == U'?' ||
           c == U')' || c == U']' || c == U'"' || c == U'\'' || c == U'*' || c == U'_' ||
           c == U'~' || c == U'>';
  }

  // Emphasis and strike-through: runs of '*', '_', '~~' that touch a word on one side are
  // markup; '*' between digits (2*3) and '_' inside a word (snake_case) are not emphasis.
  void emphasis() {
    for (std::size_t i = 0; i < items_.size();) {
      const char32_t c = items_[i].c;
      if ((c != U'*' && c != U'_' && c != U'~') || !markup(i, c)) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < items_.size() && markup(j, c)) ++j;
      const char32_t before = kept_before(i);
      const char32_t after = j < items_.size() ? kept_after(j - 1) : U' ';
      const bool word_before = is_word_char(before);
      const bool word_after = is_word_char(after);
      if (c == U'*') {
        if (!(is_ascii_digit(before) && is_ascii_digit(after)))
          for (std::size_t m = i; m < j; ++m) items_[m].keep = false;
      } else if (c == U'_') {
        for (std::size_t m = i; m < j; ++m) items_[m].keep = false;
        if (word_before && word_after) items_[i].as_space = true;
      } else if (j - i >= 2) {
        for (std::size_t m = i; m < j; ++m) items_[m].keep = false;
      }
      i = j;
    }
  }

  // "!!!" and "..." keep one; "--" and "==" runs break words; '#' before a word, '|' and tokens
  // of nothing but rule characters are silent.
  void punctuation() {
    // A table's separator row, "|:---:|", and rules made of '-' and '='.
    bool rule = false;
    bool only_rule = true;
    for (std::size_t i = 0; i < items_.size() && only_rule; ++i) {
      if (!items_[i].keep) continue;
      const char32_t c = items_[i].c;
      rule = rule || c == U'-' || c == U'=';
      only_rule = c == U'-' || c == U'=' || c == U':' || c == U'|';
    }
    if (rule && only_rule) {
      for (Item& it : items_) it.keep = false;
      return;
    }
    bool first_kept = true;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      Item& it = items_[i];
      if (!it.keep || spoken_[i] != Spoken::kNone) continue;
      if (it.c == U'#' && first_kept && !it.literal) it.keep = false;
      if (it.c == U'|' && !it.literal) it.keep = false;
      first_kept = first_kept && !it.keep;
    }
    for (std::size_t i = 0; i < items_.size();) {
      const char32_t c = items_[i].c;
      if (!items_[i].keep || spoken_[i] != Spoken::kNone || !is_ascii_punct(c)) {
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < items_.size() && items_[j].keep && items_[j].c == c && spoken_[j] == Spoken::kNone)
        ++j;
      if (j - i >= 2) {
        if (c == U'-' || c == U'=' || c == U'+') {
          for (std::size_t m = i; m < j; ++m) items_[m].keep = false;
          items_[i].as_space = true;
        } else {
          for (std::size_t m = i + 1; m < j; ++m) items_[m].keep = false;
        }
      }
      i = j;
    }
  }

  void write() {
    const CleanupOptions::Emoji emoji = options_.emoji;
    bool after_emoji = false;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      const Item& it = items_[i];
      if (it.as_space) {
        out_.space(it.pos);
        continue;
      }
      if (!it.keep || spoken_[i] == Spoken::kDrop) continue;
      const SourceSpan span{it.pos, it.pos + 1};
      if (spoken_[i] == Spoken::kHost || spoken_[i] == Spoken::kMail) {
        if (it.c == U'.' || it.c == U'@') {
          out_.space(it.pos);
          out_.inserted(it.c == U'.' ? words_.dot : words_.at, span);
          out_.space(it.pos);
        } else if (it.c == U'_' || it.c == U'%' || it.c == U'+') {
          out_.space(it.pos);
        } else {
          out_.text(it.c, it.pos);
        }
        continue;
      }
      if (is_emoji(it.c)) {
        if (emoji == CleanupOptions::Emoji::kName) {
          out_.space(it.pos);
          out_.inserted(emoji_name(it.c), span);
          out_.space(it.pos);
        }
        after_emoji = true;
        continue;
      }
      if (is_emoji_part(it.c) || (it.c == 0x200D && after_emoji) || is_drawing(it.c)) continue;
      after_emoji = false;
      out_.text(it.c, it.pos);
    }
  }

  const CleanupOptions& options_;
  CleanWriter& out_;
  AddressWords words_;
  std::vector<Item> items_;
  std::vector<Spoken> spoken_;
};

}  // namespace

void clean_token(std::span<const SourceChar> token, const CleanupOptions& options,
                 CleanWriter& out) {
  TokenCleaner(token, options, out).run();
}

}  // namespace lector::text::detail
