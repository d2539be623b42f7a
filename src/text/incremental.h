#pragma once
// Segments text that arrives in fragments, such as an LLM's tokens, so that synthesis can start
// on a sentence as soon as its end is certain instead of after the whole text.
//
// Fed any split of a text and then flushed, it returns exactly split_segments(normalize(text),
// language, options.segmenter): the same sentences, the same cuts of long sentences, the same
// early first fragment. Only on_quiet() departs from that, on purpose, to keep audio going when
// the producer stalls.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/segmenter.h"

namespace lector::text {
namespace detail {
class SentenceBreaker;
}  // namespace detail

struct IncrementalOptions {
  // max_segment_chars and the early first fragment (first_fragment_min_words), as in
  // split_segments.
  SegmenterOptions segmenter;
  // After a quiet period, pending text at least this many code points long is emitted.
  std::size_t min_quiet_flush_chars = 20;
};

// One instance per stream of text. Not thread-safe: it is created and used by one thread at a
// time. It owns its ICU iterator and a copy of the pending text; segments are returned by value.
//
// Every method returns the segments that became final, in text order: trimmed, non-empty, with
// text normalized as by normalize() (control characters removed, white space collapsed).
//
// When a sentence is final: ICU's sentence boundary must be followed by a character that settles
// it, a letter of the next sentence or more sentence punctuation. So "Hello world. How" gives
// "Hello world." once the "H" arrives, "end." waits for the next sentence's first letter (or
// flush), "Dr." followed by " Smith" stays open (an abbreviation), and "3." followed by "50" is
// no boundary at all. A space or digit settles nothing: "He left. 5 apples" is one sentence.
//
// Early first fragment: the first segment of an utterance (after construction, flush() or
// reset()) ends at the first clause boundary after first_fragment_min_words words, emitted as
// soon as the first letter of the next word arrives, provided that the same cut follows whatever
// comes next. Long sentences are cut at max_segment_chars as soon as more than that is pending.
class IncrementalSegmenter {
 public:
  // `language` as for split_segments. Throws lector::Error if ICU cannot build its iterator.
  explicit IncrementalSegmenter(std::string_view language, IncrementalOptions options = {});
  ~IncrementalSegmenter();
  IncrementalSegmenter(IncrementalSegmenter&&) noexcept;
  IncrementalSegmenter& operator=(IncrementalSegmenter&&) noexcept;

  // Appends a fragment: any split of the text (single tokens, half words, several sentences at
  // once, even half of a UTF-8 sequence, which is kept until the rest arrives) and returns the
  // segments now final. Throws kTooLarge if the pending text would exceed ICU's int32 range.
  std::vector<std::string> feed(std::string_view fragment);

  // The producer has been quiet for a while (the caller owns the timer; ~300 ms suits speech).
  // If at least min_quiet_flush_chars code points are pending, emits them, up to the end of the
  // last complete word: the whole text if it ends in white space, punctuation or a CJK character,
  // else up to the last space (everything if there is none). Otherwise returns nothing. What
  // follows continues the same sentence, so segmentation from here on may differ from
  // split_segments.
  std::vector<std::string> on_quiet();

  // The caller knows that the text goes on with `next` (a letter it holds back for now, such as
  // the first letter of a word whose markup is not decided yet), after white space when
  // `space_before`: emits the sentences that this makes final, without taking the letter. It
  // must then be fed as the text's next visible code point, so that the result is the same as
  // without the hint.
  std::vector<std::string> settle_with(char32_t next, bool space_before = false);
  // End of input: emits everything pending and starts a new utterance.
  std::vector<std::string> flush();

  // Drops pending text (barge-in) and starts a new utterance, whose first segment is again
  // eligible for the early first fragment.
  void reset();

  // Code points received, not yet emitted (an incomplete UTF-8 sequence not included).
  std::size_t pending_chars() const;

 private:
  struct Scan {
    // Offset of the end of the current sentence, or npos when it is not final yet.
    std::size_t sentence_end;
    // Offset of the first boundary that is not final (the end of the text if there is none):
    // the current sentence ends there or later.
    std::size_t open_boundary;
  };

  void append_normalized(std::string_view chunk);
  std::vector<std::string> advance(bool at_end);
  Scan scan(bool at_end);
  bool is_settled(std::size_t boundary) const;
  bool contains_settling(std::size_t from) const;
  void move_scan_start(std::size_t open_boundary);
  void finish_sentence(std::size_t end, std::vector<std::string>& out);
  bool cut_long_piece(std::size_t open_boundary, std::vector<std::string>& out);
  void cut_first_fragment(std::size_t open_boundary, std::vector<std::string>& out);
  void emit(std::string_view segment, std::vector<std::string>& out);
  void emit_new(const std::vector<std::string_view>& pieces, std::vector<std::string>& out);
  void compact();
  std::string_view pending() const;

  IncrementalOptions options_;
  std::size_t cap_;
  std::unique_ptr<detail::SentenceBreaker> breaker_;

  // Normalized text, never ending in a space. What lies before context_begin_ is no longer
  // needed and is dropped from time to time (see compact()).
  std::string buffer_;
  // Offsets into buffer_, in order context_begin_ <= piece_begin_ <= emitted_, and
  // context_begin_ <= scan_begin_.
  //   context_begin_: start of the current sentence, or a later point that still leaves enough
  //     text before scan_begin_ for abbreviation checks.
  //   piece_begin_: start of the current piece; long-sentence cuts count from here.
  //   emitted_: end of what has been returned (past piece_begin_ after an early first fragment).
  //   scan_begin_: where ICU starts; every boundary before it is settled and not a sentence end.
  std::size_t context_begin_ = 0;
  std::size_t piece_begin_ = 0;
  std::size_t emitted_ = 0;
  std::size_t scan_begin_ = 0;
  // The boundary the last scan stopped at when it waits for a letter after it, else npos.
  std::size_t unsettled_boundary_ = std::string_view::npos;

  // Normalization state carried between fragments.
  std::string incomplete_;  // a UTF-8 sequence cut off at the end of the last fragment
  bool space_pending_ = false;
  bool any_text_ = false;  // whether this utterance has visible text yet

  // True until the utterance's first segment is emitted.
  bool first_piece_pending_ = true;
};

}  // namespace lector::text
