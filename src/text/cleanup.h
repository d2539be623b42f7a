#pragma once
// Clean-up of text as LLMs and chat clients write it, before it is segmented: markdown
// emphasis, headings, list markers, links ([label](url) -> label), inline and fenced code,
// tables (read row by row), emoji, URLs and e-mail addresses, runs of punctuation and
// box-drawing characters. Streaming: fed any split of a text, it gives the same result as the
// whole text at once, holding back only the little text whose reading depends on what follows:
// at most a line's first 32 code points (until its kind is known), one white-space-free token of
// at most 256 and an open `code span` of at most 512 plus its backticks; the rules are in
// docs/TEXT.md.
// Every output code point maps back to the source (source_map.h). Not thread-safe: one per
// stream of text.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "text/source_map.h"

namespace lector::text {

struct CleanupOptions {
  enum class Code { kSkip, kRead };
  enum class Emoji { kRemove, kName };
  Code code = Code::kSkip;       // fenced and inline code: left out, or read as text
  Emoji emoji = Emoji::kRemove;  // emoji: left out, or replaced by their Unicode name
  // Language of the text (BCP-47 or espeak name): the words for "dot" and "at" in spoken
  // URLs and e-mail addresses (de, fr, es; English otherwise).
  std::string language;
};

class Cleaner {
 public:
  explicit Cleaner(CleanupOptions options = {});
  ~Cleaner();
  Cleaner(Cleaner&&) noexcept;
  Cleaner& operator=(Cleaner&&) noexcept;

  // The next fragment of the source (valid UTF-8; the caller keeps an incomplete tail for the
  // next call). Returns the clean text that became final; its spans count code points from the
  // start of the source (the first feed() since construction or reset()).
  MappedText feed(std::string_view fragment);
  // The producer went quiet: releases what is held back, reading undecided markup as if the
  // text ended here.
  MappedText on_quiet();
  // End of the source: everything held back. The next feed() starts a new source.
  MappedText finish();
  // Drops what is held and starts a new source.
  void reset();
  // Code points fed and not yet returned.
  std::size_t held() const;
  // The first letter or digit of what is held back (0 when none), and whether white space goes
  // before it: the next text will most likely start so, which lets the segmenter settle a
  // sentence end before it early.
  char32_t next_held(bool& space_before) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The whole text at once: feed() then finish().
MappedText cleanup(std::string_view text, CleanupOptions options = {});

}  // namespace lector::text
