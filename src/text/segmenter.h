#pragma once
// Splits text into segments, the scheduler's unit of work. ICU's sentence BreakIterator finds
// sentence ends (so "Dr. Smith paid $3.50." stays whole); long sentences are cut at clause
// punctuation, then at whitespace; the first segment may be cut short so first audio comes
// early. Thread-safe: every call builds its own iterator from a cached, cloned prototype.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lector::text {

struct SegmenterOptions {
  // Segments longer than this many code points are split at clause punctuation (, ; : — –),
  // then at whitespace, never inside a word unless a single word is longer than the cap.
  std::size_t max_segment_chars = 300;
  // When > 0, the first segment ends at the first clause boundary (, ; : — –) that comes after
  // at least this many words, if that leaves some text in the sentence. 0 disables it.
  std::size_t first_fragment_min_words = 0;
};

// `language` is a BCP-47 tag or an espeak voice name ("en-us", "de", "cmn"); unknown tags fall
// back to ICU's root rules. Returned segments are trimmed, non-empty, and their concatenation
// (with single spaces) holds every word of the input in order.
std::vector<std::string> split_segments(std::string_view utf8_text, std::string_view language,
                                        const SegmenterOptions& options = {});

}  // namespace lector::text
