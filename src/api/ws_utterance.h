#pragma once
// One utterance of /v1/stream (ws_stream.cpp): its scheduler request, its encoder, the mapped
// texts of its segments, and what of its audio the client has been handed, for word offsets
// and the barge-in report. The only code of that protocol that touches a scheduler request.
//
// Threading: the connection's strand only; the waker may be called from the scheduler's thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/heard.h"
#include "api/output.h"
#include "audio/transcoder.h"
#include "sched/request_handle.h"

namespace lector::api {

class Utterance {
 public:
  using State = sched::RequestHandle::State;
  using Clock = std::chrono::steady_clock;
  // Submits `request` (opened for more text); throws lector::Error when refused.
  Utterance(Api& api, sched::SynthesisRequest request, const OutputSpec& output,
            const std::function<void()>& waker, std::uint64_t n, Clock::time_point text_at,
            int silence);

  // The audio as the client asked for it: `pcm` encoded (appended to `out`), and the rest of
  // the stream at the end.
  void encode(std::string_view pcm, std::string& out);
  void finish(std::string& out);
  int output_rate() const;
  const char* encoding() const;

  void append(std::vector<text::MappedText> segments);
  void close() { request_.close(); }
  void cancel() { request_.cancel(); }
  // Audio and marks; every mark taken also goes to the tracker.
  State take(std::string& pcm, std::vector<sched::AudioMark>& marks);
  int sample_rate() const { return request_.sample_rate(); }
  std::string error() const { return request_.error(); }
  double seconds(std::size_t bytes) const {
    return static_cast<double>(bytes) / 2.0 / request_.sample_rate();
  }
  // Where `offset` of the request's audio lies in what the client hears: after the silences
  // sent so far.
  double heard_seconds(std::size_t offset) const { return seconds(offset + silence_bytes); }
  std::size_t silence_piece() const;
  std::size_t segment_count() const { return tracker_.segment_count(); }
  const HeardTracker& tracker() const { return tracker_; }
  double queue_wait_seconds() const { return request_.queue_wait_seconds(); }

  // An audio message went to the socket: the client now has `pcm_end` bytes of the request's
  // audio and `silence_end` bytes of silence.
  void delivered(std::size_t pcm_end, std::size_t silence_end);
  // Seconds of audio handed to the socket, silences included.
  double delivered_seconds() const { return seconds(delivered_pcm_ + delivered_silence_); }
  Heard heard() const { return tracker_.heard(delivered_pcm_); }

  const std::uint64_t number;
  const int silence_ms;           // sentence_silence: zeros after each segment end
  std::size_t silence_bytes = 0;  // zeros put in the outbox
  std::size_t sent_bytes = 0;     // PCM bytes of the request put in the outbox
  std::size_t encoded_bytes = 0;  // bytes of audio messages, as the client gets them
  bool announced = false;
  const Clock::time_point first_text;
  Clock::time_point first_audio{};
  const std::string engine;
  const std::string voice;

 private:
  sched::RequestHandle request_;
  std::optional<audio::Transcoder> transcoder_;  // none for native-rate PCM
  HeardTracker tracker_;
  std::size_t delivered_pcm_ = 0;
  std::size_t delivered_silence_ = 0;
};

}  // namespace lector::api
