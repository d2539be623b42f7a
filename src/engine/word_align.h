#pragma once
// Places the tokens an engine reports (flite's and festival's Token relation: the text as the
// engine cut it into words) back in the text it was given, in code points, so that their word
// timings can name the words as written. Pure, no engine headers; one instance per synthesis,
// used on the engine's thread.
//
// A token is looked for from the end of the last one placed, as a whole word (punctuation may
// surround it, letters and digits may not), skipping at most kMaxSkippedWords words of the text
// (tokens the engine rewrote, which were not placed). A token these rules cannot place is
// reported as unplaced, never guessed.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lector::engine {

// Code points [offset, offset + length) of the text.
struct WordSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
  bool operator==(const WordSpan&) const = default;
};

class WordAligner {
 public:
  // What the engine reads in place of one non-ASCII code point of the text (UTF-8 in, the
  // engine's bytes out), when it converts the text before tokenizing it (festival's voice
  // charsets). ASCII is compared as is, case-insensitively.
  using Fold = std::function<std::string(std::string_view code_point)>;

  explicit WordAligner(std::string_view text, const Fold& fold = {});

  // The next token's place, or nullopt (an empty token, or one not found by the rules above).
  std::optional<WordSpan> place(std::string_view token);

  static constexpr std::size_t kMaxSkippedWords = 3;

 private:
  std::string folded_;                   // the text as the engine reads it, ASCII lower case
  std::vector<std::size_t> code_point_;  // per byte of folded_: its code point in the text
  std::size_t cursor_ = 0;               // byte of folded_ after the last placed token
};

// Convenience for tests and one-shot use: every token placed in order (nullopt when unplaced).
std::vector<std::optional<WordSpan>> align_words(std::string_view text,
                                                 const std::vector<std::string>& tokens,
                                                 const WordAligner::Fold& fold = {});

}  // namespace lector::engine
