#pragma once
// ICU's sentence boundaries, per language, with the abbreviation lists that veto some of them.
// Private to src/text: split_segments and the incremental segmenter find sentences through it.

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace lector::text::detail {

class Abbreviations;

// ICU's sentence boundaries in one text, plus the abbreviation lists that veto some of them. Owns
// its own iterator (a clone of a cached, process-wide prototype per locale), so one thread at a
// time may use an instance; any number of instances may exist on any threads.
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
