#pragma once
// Building blocks of split_segments shared with the incremental segmenter. Private to src/text:
// both segmenters must cut text by the very same rules, so they call the same functions rather
// than copies of them. Pure functions are callable from any thread; a SentenceBreaker is used by
// one thread at a time.

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace lector::text::detail {

// Returns the code point at `pos` and its length in bytes. Lenient: an ill-formed byte reads as
// one U+FFFD, as in ICU's UTF-8 UText, so every cut lands on a sequence boundary.
std::pair<char32_t, std::size_t> decode_at(std::string_view s, std::size_t pos) noexcept;

// Start of the code point that ends just before `end` (> 0).
std::size_t previous_start(std::string_view s, std::size_t end) noexcept;

bool is_space(char32_t c) noexcept;
// A letter or digit.
bool is_word_char(char32_t c) noexcept;
// Scripts written without spaces between words (Han, kana): each character counts as a word.
bool is_word_per_char(char32_t c) noexcept;
// Punctuation that ends a clause: , ; : — – and their Arabic and CJK forms.
bool is_clause_mark(char32_t c) noexcept;
// Opening quotes and brackets.
bool is_opener(char32_t c) noexcept;

std::string_view trim_left(std::string_view s) noexcept;
std::string_view trim_right(std::string_view s) noexcept;

// For trimmed, non-empty `piece`: the byte offset where its first part ends when it is longer than
// `cap` (>= 1) code points, else 0. Only the first cap + 1 code points decide where the cut goes.
std::size_t cap_cut(std::string_view piece, std::size_t cap);

// Appends `piece` (trimmed, non-empty) to `out`, cut into parts of at most `cap` code points.
void append_capped(std::string_view piece, std::size_t cap, std::vector<std::string_view>& out);

// Byte offset just after the first clause of `segment` preceded by at least `min_words` words
// that still leaves a word after it; 0 when there is none.
std::size_t find_first_fragment_cut(std::string_view segment, std::size_t min_words);

// Cuts pieces.front() at find_first_fragment_cut (min_words > 0), turning it into two pieces.
void split_first_fragment(std::vector<std::string_view>& pieces, std::size_t min_words);

class Abbreviations;

// ICU's sentence boundaries in one text, plus the abbreviation lists that veto some of them. Owns
// its own iterator (a clone of a cached prototype), so one thread may use it at a time.
class SentenceBreaker {
 public:
  static constexpr std::size_t kDone = std::string_view::npos;

  // `language` as for split_segments. Throws lector::Error when ICU fails.
  explicit SentenceBreaker(std::string_view language);
  ~SentenceBreaker();
  SentenceBreaker(const SentenceBreaker&) = delete;
  SentenceBreaker& operator=(const SentenceBreaker&) = delete;

  // Starts iterating `text`, which must stay alive and unchanged until the next set_text. The
  // start of `text` is taken as the start of a text. Throws kTooLarge above ICU's int32 range.
  void set_text(std::string_view text);

  // The next boundary, as a byte offset into the text; the end of the text is always reported
  // (unless the text is empty). kDone after the last.
  std::size_t next();

  // True when the boundary just after `before` (the sentence so far, up to the boundary) follows
  // an abbreviation or ordinal and so does not end a sentence. Only the last
  // longest_abbreviation() bytes of `before`'s trimmed text can match, so `before` may start
  // anywhere before those provided it does not start inside a run of opening quotes or brackets
  // that follows a letter. Does not apply at the end of a text, which always ends a sentence.
  bool is_abbreviation_stop(std::string_view before) const;

  // Length in bytes of the longest abbreviation or ordinal that is_abbreviation_stop matches.
  std::size_t longest_abbreviation() const noexcept;

 private:
  std::unique_ptr<icu::BreakIterator> iterator_;
  const Abbreviations* abbreviations_;
  icu::LocalUTextPointer text_;
};

}  // namespace lector::text::detail
