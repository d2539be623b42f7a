#pragma once
// One Wyoming connection's protocol logic, independent of the socket: events in, frames out.
//
//   describe                         -> info (every voice of every engine)
//   ping {text}                      -> pong {text}
//   synthesize {text, voice}         -> audio-start {rate, width 2, channels 1},
//                                       audio-chunk (s16le mono at the voice's rate)...,
//                                       audio-stop
//   synthesize-start {voice}, synthesize-chunk {text}..., synthesize-stop
//                                    -> audio-start, audio-chunk... as each sentence is
//                                       confirmed, audio-stop, synthesize-stopped
//   anything else                    -> ignored (the protocol has many event types a TTS
//                                       server does not handle)
//
// Home Assistant sends the whole text once more as a plain `synthesize` inside a stream, for
// servers that do not stream (the reference server documents it after synthesize-stop): one
// such `synthesize` per stream, inside it or right after it, is ignored, so nothing is spoken
// twice.
//
// Answers leave in the order of the events that asked for them; audio is taken from the
// scheduler only when its answer is first in line, so a slow reader holds back synthesis
// (the scheduler's buffer bound) rather than filling memory here. Errors follow the reference
// server: an `error` event {text, code} (codes as in core/error.h's table: bad_parameter,
// malformed, too_large, overloaded, synthesis_failed, ...), after which the connection closes
// once the answers before it are sent; a stream still open is cancelled.
//
// A `synthesize` whose text starts with "<speak" is SSML (api/ssml_request.h): its runs play
// through one api::AudioBody in raw PCM at the first speech run's rate, so pauses, voice and
// engine switches arrive as one audio stream; so does plain text, which also gets the
// server's --sentence-silence. A stream (synthesize-start/chunk/stop) is plain text.
//
// Threading: one thread at a time (the connection's strand). The waker is called from the
// scheduler's thread when audio is ready. `api` must outlive the session; destroying the
// session cancels every request it holds.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/api.h"
#include "text/frontend.h"
#include "wyoming/frame.h"
#include "wyoming/info.h"

namespace lector::wyoming {

class Session {
 public:
  using Clock = std::chrono::steady_clock;
  // Audio leaves in audio-chunk events of at most this many bytes (2048 samples).
  static constexpr std::size_t kChunkBytes = 4096;
  // Answers (synthesize, describe, ...) waiting on one connection before it is refused: with
  // the cap on echoed ping text, what one connection can queue is bounded (16 infos).
  static constexpr std::size_t kMaxPending = 16;
  std::uint64_t answer_count_ = 0;  // numbers this connection's answers, for their records
  static constexpr std::size_t kMaxPingText = 4096;

  // `peer` names the client in the log.
  Session(api::Api& api, ProgramInfo program, std::string peer = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called from the scheduler's thread when audio is ready, and must make the transport call
  // next_output() soon; set before the first event.
  void set_waker(std::function<void()> waker) { waker_ = std::move(waker); }

  // An event from the client. Ignored once input has ended.
  void on_event(Event event);
  // The client's bytes do not parse (FrameDecoder threw): an error event, then close.
  void on_frame_error(const Error& error);
  // No more input will be read (the connection sat idle). Answers already asked for are
  // still sent; a stream that was never stopped is cancelled.
  void on_input_end();
  // The connection is gone (or failed): every request is cancelled, nothing more is sent.
  void on_disconnect();

  // Appends the frames ready to be sent to `out`; false when there are none right now.
  bool next_output(std::string& out);
  // Nothing more will be sent: input ended or failed and every answer is out. The transport
  // then closes the connection.
  bool done() const { return !input_open_ && answers_.empty(); }
  // Whether more input is wanted (false after an error or the end of input).
  bool input_open() const { return input_open_; }
  // Nothing is being answered and no stream is open: the connection is just waiting.
  bool idle() const { return answers_.empty(); }
  // When next_output() must be called even if nothing woke the transport: the quiet-period
  // flush of a stream whose text stopped coming (time_point::max() when there is none).
  Clock::time_point deadline() const { return quiet_deadline_; }

 private:
  struct Answer;

  void handle(Event& event);
  void synthesize(const Event& event);
  void stream_start(const Event& event);
  void stream_chunk(const Event& event);
  void stream_stop();
  void append_segments(const std::vector<text::MappedText>& segments);
  void push_frame(std::string frame);
  Answer& push_answer();
  void fail(ErrorCode code, const std::string& message);
  void cancel_stream();
  void log_end(const Answer& a, const char* outcome) const;

  api::Api& api_;
  const ProgramInfo program_;
  const std::string peer_;
  std::function<void()> waker_;
  std::deque<Answer> answers_;
  bool input_open_ = true;

  // The stream between synthesize-start and synthesize-stop, if one is open: its answer is
  // the back of answers_.
  Answer* stream_ = nullptr;
  std::optional<text::Frontend> frontend_;
  std::size_t stream_chars_ = 0;
  bool stream_saw_synthesize_ = false;
  // A stream just stopped without the compatibility `synthesize` inside it: ignore one next.
  bool ignore_next_synthesize_ = false;
  Clock::time_point quiet_deadline_ = Clock::time_point::max();
};

}  // namespace lector::wyoming
