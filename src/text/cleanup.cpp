#include "text/cleanup.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/char_class.h"
#include "text/cleanup_inline.h"
#include "text/utf8.h"

namespace lector::text {

using detail::CleanWriter;
using detail::SourceChar;

namespace {

// Bounds of what is held back: a line's start until its kind is known, one white-space-free
// token, an open code span. Past them the text is read as plain text, the same way however it
// was split.
constexpr std::size_t kMaxPrefix = 32;
constexpr std::size_t kMaxToken = 256;
constexpr std::size_t kMaxCodeSpan = 512;

enum class LineKind { kText, kHeading, kListItem, kTableRow, kCode, kSkipped };

bool is_blank(char32_t c) noexcept {
  return c == U' ' || c == U'\t';
}
bool is_newline(char32_t c) noexcept {
  return c == U'\n' || c == 0x2028 || c == 0x2029 || c == 0x85;
}

}  // namespace

struct Cleaner::State {
  CleanupOptions options;
  std::uint32_t fed = 0;
  CleanWriter out;

  // Line structure.
  bool line_start = true;
  std::vector<SourceChar> prefix;
  LineKind kind = LineKind::kText;
  bool in_fence = false;
  char32_t fence_char = 0;
  std::size_t fence_length = 0;

  // Inline: the token being read, a run of backticks, an open code span.
  std::vector<SourceChar> token;
  std::vector<SourceChar> ticks;
  std::size_t code_ticks = 0;  // backticks that opened the code span, 0 when none is open
  std::vector<SourceChar> code;

  void put(SourceChar sc);
  void end_line(SourceChar newline, bool at_end);
  void decide_prefix(bool at_end);
  bool decide_fence_prefix(bool at_end);
  void line_decided(LineKind line_kind, std::size_t consumed);
  void inline_put(SourceChar sc);
  void resolve_ticks();
  void abandon_code();
  void flush_token();
  void release();
};

void Cleaner::State::put(SourceChar sc) {
  if (sc.c == U'\r') return;  // \r\n reads as \n; a lone \r is nothing a listener hears
  if (is_newline(sc.c)) return end_line(sc, false);
  if (line_start) {
    prefix.push_back(sc);
    return decide_prefix(false);
  }
  switch (kind) {
    case LineKind::kSkipped:
      return;
    case LineKind::kCode:
      if (options.code == CleanupOptions::Code::kRead) {
        if (detail::is_space(sc.c))
          out.space(sc.pos);
        else
          out.text(sc.c, sc.pos);
      }
      return;
    default:
      return inline_put(sc);
  }
}

void Cleaner::State::end_line(SourceChar newline, bool at_end) {
  if (line_start) decide_prefix(true);
  release();
  const SourceSpan span{newline.pos, newline.pos + (at_end ? 0u : 1u)};
  if (kind == LineKind::kHeading || kind == LineKind::kListItem || kind == LineKind::kTableRow ||
      (kind == LineKind::kCode && out.line_emitted()) || !out.line_emitted())
    out.end_sentence(span);
  if (at_end) return;
  out.space(newline.pos, true);
  out.new_line();
  line_start = true;
  kind = in_fence ? LineKind::kCode : LineKind::kText;
}

// Everything undecided on the line is read as if the line ended here.
void Cleaner::State::release() {
  resolve_ticks();
  while (code_ticks > 0) abandon_code();
  flush_token();
}

// The kind of line from its first code points: quote markers, heading, list marker, fence,
// table row. Undecided until a code point settles it.
void Cleaner::State::decide_prefix(bool at_end) {
  if (in_fence) {
    if (decide_fence_prefix(at_end)) return;
    line_decided(LineKind::kCode, 0);
    return;
  }
  const std::size_t n = prefix.size();
  const auto at = [&](std::size_t i) { return i < n ? prefix[i].c : U'\0'; };
  const bool more = !at_end && n < kMaxPrefix;
  std::size_t i = 0;
  for (;;) {
    while (i < n && is_blank(at(i))) ++i;
    if (i == n) {
      if (more) return;
      return line_decided(LineKind::kText, n);
    }
    if (at(i) != U'>') break;
    ++i;
  }
  const char32_t c = at(i);
  if (c == U'#') {
    std::size_t j = i;
    while (j < n && at(j) == U'#') ++j;
    if (j == n && more) return;
    if (j - i <= 6 && (j == n || is_blank(at(j))))
      return line_decided(LineKind::kHeading, j == n ? n : j + 1);
    return line_decided(LineKind::kText, i);
  }
  if (c == U'-' || c == U'*' || c == U'+' || c == 0x2022) {
    if (i + 1 == n) {
      if (more) return;
      return line_decided(LineKind::kText, i);
    }
    if (!is_blank(at(i + 1))) return line_decided(LineKind::kText, i);
    // A task list's box, "[ ]" or "[x]", is part of the marker.
    std::size_t j = i + 2;
    const std::u32string_view boxes[] = {U"[ ] ", U"[x] ", U"[X] "};
    for (const std::u32string_view box : boxes) {
      std::size_t k = 0;
      while (k < box.size() && j + k < n && at(j + k) == box[k]) ++k;
      if (k == box.size()) return line_decided(LineKind::kListItem, j + k);
      if (j + k == n && k > 0 && more) return;
    }
    if (j == n && more) return;
    return line_decided(LineKind::kListItem, j);
  }
  if (c >= U'0' && c <= U'9') {
    std::size_t j = i;
    while (j < n && j - i < 10 && at(j) >= U'0' && at(j) <= U'9') ++j;
    if (j + 1 >= n && more) return;
    if (j - i <= 9 && (at(j) == U'.' || at(j) == U')') && (j + 1 == n || is_blank(at(j + 1))))
      return line_decided(LineKind::kListItem, j + 1 == n ? n : j + 2);
    return line_decided(LineKind::kText, i);
  }
  if (c == U'`' || c == U'~') {
    std::size_t j = i;
    while (j < n && at(j) == c) ++j;
    if (j == n && more) return;
    if (j - i >= 3) {
      in_fence = true;
      fence_char = c;
      fence_length = j - i;
      return line_decided(LineKind::kSkipped, n);  // the info string is not read
    }
    return line_decided(LineKind::kText, i);
  }
  if (c == U'|') return line_decided(LineKind::kTableRow, i);
  return line_decided(LineKind::kText, i);
}

// Inside a fence: true once the line is known to close it (or is still undecided).
bool Cleaner::State::decide_fence_prefix(bool at_end) {
  const std::size_t n = prefix.size();
  std::size_t i = 0;
  while (i < n && is_blank(prefix[i].c)) ++i;
  std::size_t j = i;
  while (j < n && prefix[j].c == fence_char) ++j;
  if (j == n && !at_end && n < kMaxPrefix) return true;
  if (j - i >= fence_length && (j == n || is_blank(prefix[j].c))) {
    in_fence = false;
    line_decided(LineKind::kSkipped, n);
    return true;
  }
  return false;
}

void Cleaner::State::line_decided(LineKind line_kind, std::size_t consumed) {
  line_start = false;
  kind = line_kind;
  std::vector<SourceChar> rest(prefix.begin() + static_cast<std::ptrdiff_t>(consumed),
                               prefix.end());
  prefix.clear();
  for (const SourceChar& sc : rest) put(sc);
}

void Cleaner::State::inline_put(SourceChar sc) {
  if (sc.c == U'`') {
    ticks.push_back(sc);
    return;
  }
  resolve_ticks();
  if (code_ticks > 0) {
    code.push_back(sc);
    if (code.size() > kMaxCodeSpan) abandon_code();
    return;
  }
  if (detail::is_space(sc.c)) {
    flush_token();
    out.space(sc.pos);
  } else if (sc.c == U'|' && kind == LineKind::kTableRow) {
    flush_token();
    out.cell_break(sc.pos);
  } else {
    token.push_back(sc);
    if (token.size() >= kMaxToken) flush_token();
  }
}

// A complete run of backticks opens a code span, closes the open one when it is as long, or
// is part of the code.
void Cleaner::State::resolve_ticks() {
  if (ticks.empty()) return;
  std::vector<SourceChar> run = std::move(ticks);
  ticks.clear();
  if (code_ticks == 0) {
    flush_token();
    code_ticks = run.size();
    code.clear();
    return;
  }
  if (run.size() != code_ticks) {
    code.insert(code.end(), run.begin(), run.end());
    if (code.size() > kMaxCodeSpan) abandon_code();
    return;
  }
  code_ticks = 0;
  if (options.code == CleanupOptions::Code::kRead) {
    for (const SourceChar& sc : code) {
      if (detail::is_space(sc.c))
        out.space(sc.pos);
      else
        out.text(sc.c, sc.pos);
    }
  } else if (!code.empty()) {
    out.space(code.front().pos);
  }
  code.clear();
}

// A code span that does not close (on its line, within its bound) was a stray backtick: it is
// dropped and what followed it is read as text.
void Cleaner::State::abandon_code() {
  code_ticks = 0;
  std::vector<SourceChar> held = std::move(code);
  code.clear();
  for (const SourceChar& sc : held) inline_put(sc);
  resolve_ticks();
}

void Cleaner::State::flush_token() {
  if (token.empty()) return;
  detail::clean_token(token, options, out);
  token.clear();
}

Cleaner::Cleaner(CleanupOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}
Cleaner::~Cleaner() = default;
Cleaner::Cleaner(Cleaner&&) noexcept = default;
Cleaner& Cleaner::operator=(Cleaner&&) noexcept = default;

MappedText Cleaner::feed(std::string_view fragment) {
  State& s = *state_;
  for (std::size_t pos = 0; pos < fragment.size();) {
    const char32_t c = decode_next(fragment, pos);
    s.put({c, s.fed++});
  }
  return s.out.take();
}

MappedText Cleaner::on_quiet() {
  State& s = *state_;
  if (s.line_start && !s.prefix.empty()) s.decide_prefix(true);
  s.release();
  return s.out.take();
}

MappedText Cleaner::finish() {
  State& s = *state_;
  s.end_line({0, s.fed}, true);
  MappedText out = s.out.take();
  reset();
  return out;
}

void Cleaner::reset() {
  const CleanupOptions kept = state_->options;
  *state_ = State{};
  state_->options = kept;
}

std::size_t Cleaner::held() const {
  const State& s = *state_;
  return s.prefix.size() + s.token.size() + s.ticks.size() + s.code.size();
}

char32_t Cleaner::next_held(bool& space_before) const {
  const State& s = *state_;
  space_before = s.out.space_pending();
  // Only a held word that starts with a letter gives its letter: markup or a line's marker
  // first could mean anything; and a word that may still turn out a web address is read from
  // its host, whose first letter may differ in case from the scheme's.
  const std::vector<SourceChar>& held = s.prefix.empty() ? s.token : s.prefix;
  if (held.empty() || !s.ticks.empty() || !s.code.empty() || s.out.cell_pending()) return 0;
  const char32_t first = held.front().c;
  if (!detail::is_word_char(first) || (first >= U'0' && first <= U'9')) return 0;
  std::string lower;
  for (const SourceChar& sc : held) {
    if (sc.c >= 0x80 || !std::isalpha(static_cast<int>(sc.c)) || lower.size() == 6) break;
    lower.push_back(static_cast<char>(std::tolower(static_cast<int>(sc.c))));
  }
  for (std::string_view scheme : {"http", "https", "ftp", "mailto", "www"}) {
    const std::size_t n = std::min(lower.size(), scheme.size());
    if (lower.compare(0, n, scheme.substr(0, n)) == 0) return 0;
  }
  return first;
}

MappedText cleanup(std::string_view text, CleanupOptions options) {
  Cleaner c(std::move(options));
  MappedText out = c.feed(text);
  out.append(c.finish());
  return out;
}

}  // namespace lector::text
