#include "engine/word_align.h"

#include <cctype>

namespace lector::engine {
namespace {

char lower_ascii(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Letters and digits of any script: every non-ASCII byte counts as part of a word, which keeps
// a token from being placed inside a word of a script the rules do not know.
bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) != 0;
}

// Bytes of the UTF-8 sequence starting with lead byte `c` (1 for a stray continuation byte).
std::size_t sequence_bytes(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

WordAligner::WordAligner(std::string_view text, const Fold& fold) {
  folded_.reserve(text.size());
  code_point_.reserve(text.size());
  std::size_t index = 0;
  for (std::size_t i = 0; i < text.size(); ++index) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t n = std::min(sequence_bytes(lead), text.size() - i);
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) n = k;
    const std::string_view cp = text.substr(i, n);
    const std::string mapped = lead < 0x80 || !fold ? std::string(cp) : fold(cp);
    for (const char c : mapped) {
      folded_.push_back(lower_ascii(c));
      code_point_.push_back(index);
    }
    i += n;
  }
}

std::optional<WordSpan> WordAligner::place(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string needle(token);
  for (char& c : needle) c = lower_ascii(c);

  // Words (runs of word bytes) in folded_[from, to).
  const auto words_in = [this](std::size_t from, std::size_t to) {
    std::size_t n = 0;
    for (std::size_t i = from; i < to; ++i)
      if (is_word_byte(folded_[i]) && (i == from || !is_word_byte(folded_[i - 1]))) ++n;
    return n;
  };
  for (std::size_t pos = folded_.find(needle, cursor_); pos != std::string::npos;
       pos = folded_.find(needle, pos + 1)) {
    const std::size_t end = pos + needle.size();
    const std::size_t skipped = words_in(cursor_, pos);
    if (skipped > kMaxSkippedWords) break;
    // A whole word: punctuation may cling to it ("$3.50" for festival's "3.50"), letters not.
    const bool whole = (pos == 0 || !is_word_byte(folded_[pos - 1])) &&
                       (end == folded_.size() || !is_word_byte(folded_[end]));
    if (!whole) continue;
    cursor_ = end;
    const std::size_t first = code_point_[pos];
    return WordSpan{first, code_point_[end - 1] - first + 1};
  }
  return std::nullopt;
}

std::vector<std::optional<WordSpan>> align_words(std::string_view text,
                                                 const std::vector<std::string>& tokens,
                                                 const WordAligner::Fold& fold) {
  WordAligner aligner(text, fold);
  std::vector<std::optional<WordSpan>> out;
  out.reserve(tokens.size());
  for (const std::string& t : tokens) out.push_back(aligner.place(t));
  return out;
}

}  // namespace lector::engine
