#pragma once
// What a listener has heard of a request's audio: from the segments' mapped texts and the marks
// the request's audio carries (segment ends, word starts), the last segment and the last word
// whose audio was completely handed to the client, and where that is in the client's text.
// The barge-in report of /v1/stream's `cancelled` event and the log line of a stream that was
// cut (/ws, an OpenAI stream whose client went away).
//
// A word's audio ends where the next word or its segment's end begins; a word whose end has not
// been seen yet is not complete. Pure; one per request, on its connection's strand.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sched/audio_stream.h"
#include "text/source_map.h"

namespace lector::api {

struct HeardWord {
  std::string text;         // as spoken (the segment's text)
  std::uint32_t start = 0;  // code points of the client's text: source[start:end]
  std::uint32_t end = 0;
};

struct Heard {
  // Seconds of audio handed to the socket (silences included): set by the caller, which knows
  // the rate and the silences; heard() leaves it 0.
  double audio_seconds_sent = 0;
  std::optional<std::size_t> segment;  // last segment completely sent
  std::optional<HeardWord> word;       // last word completely sent
  // End in the client's text of what was completely sent (that word, or that segment when it
  // ends later); 0 when nothing was.
  std::uint32_t source_offset = 0;
};

class HeardTracker {
 public:
  // The request's next segments, in index order.
  void add_segments(std::vector<text::MappedText> segments);
  std::size_t segment_count() const { return segments_.size(); }
  // Segment `i`'s text; empty when there is no such segment.
  const std::string& segment_text(std::size_t i) const;
  // The part of the client's text segment `i` was made from.
  text::SourceSpan segment_span(std::size_t i) const;
  // A word mark's word: its text in the segment and its span in the client's text.
  HeardWord word(const sched::AudioMark& mark) const;

  // Every mark taken from the request, in order.
  void mark(const sched::AudioMark& mark);
  // What was completely sent once `pcm_bytes` of the request's audio (the marks' offsets) were.
  Heard heard(std::size_t pcm_bytes) const;

 private:
  struct Word {
    sched::AudioMark mark;
    std::optional<std::size_t> end;  // audio offset where it ends, once known
  };
  std::vector<text::MappedText> segments_;
  std::vector<Word> words_;
  std::vector<std::pair<std::size_t, std::size_t>> segment_ends_;  // (segment, audio offset)
};

}  // namespace lector::api
