#pragma once
// Timed words of the client's text from an AudioBody's timings: what the captioned-speech
// route, the OpenAI SSE stream's word events and `lector say --captions` report. An engine's
// words are spoken words; the timeline reports the client's words as written (the source span
// the text front end maps each spoken word to), so spoken words that come from one written
// word ("$3.50" read as "three dollars fifty") make one timed word, starting with the first.
// Not thread-safe: one per response.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/audio_body.h"
#include "text/source_map.h"

namespace lector::api {

struct TimedWord {
  std::string word;         // source[start:end], as the client wrote it
  std::uint32_t start = 0;  // code points of the client's text
  std::uint32_t end = 0;
  double start_seconds = 0.0;
  // The next word's start if it is in the same segment, else the end of the word's segment's
  // audio; negative until known.
  double end_seconds = -1.0;
  std::size_t segment = 0;
};

class WordTimeline {
 public:
  // `source`: the text the segments' spans point into; `segments`: what the request speaks
  // (one run).
  WordTimeline(std::string_view source, std::vector<text::MappedText> segments);

  // Adds a body's timings in order; returns the words they start (their end times may still
  // be unknown). Marks that point outside their segment are ignored.
  std::vector<TimedWord> add(const std::vector<AudioBody::Timing>& timings);
  const std::vector<TimedWord>& words() const { return words_; }

 private:
  std::string source_;
  std::vector<std::size_t> byte_of_;  // per code point of source_, its byte offset; one more
  std::vector<text::MappedText> segments_;
  std::vector<TimedWord> words_;
  std::size_t open_ = 0;  // words_[open_..] may still lack an end time
};

// WebVTT with one cue per word (its start to its end time), e.g. for `lector say --captions`.
std::string webvtt(const std::vector<TimedWord>& words);

// "00:01:02.345"
std::string vtt_time(double seconds);

}  // namespace lector::api
