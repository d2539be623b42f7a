#pragma once
// The audio body of a synthesis response (/tts, /v1/audio/speech): a scheduler request's PCM,
// resampled and encoded into the requested format (audio/transcoder.h) as it arrives. The one
// place HTTP responses touch a scheduler request (submit, append, close, cancel).
//
// Threading: all methods are called from the connection's strand; the waker may be called
// from the scheduler's thread. Owns its scheduler request (a RequestHandle: when the response
// goes away, so does the request); the Scheduler must outlive it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "api/output.h"
#include "audio/transcoder.h"
#include "sched/scheduler.h"

namespace lector::api {

class AudioBody final : public BodySource {
 public:
  // Checks that the output can carry the voice's rate, then submits `request`; throws
  // lector::Error (kBadParameter, kOverloaded, kUnavailable, ...) when refused. `chars`: the
  // text's length, for the request's record (0 when not known).
  static std::shared_ptr<AudioBody> start(sched::Scheduler& scheduler,
                                          sched::SynthesisRequest request, OutputSpec output,
                                          std::size_t chars);

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override;
  void cancel() override;
  std::string error() const override;
  ErrorCode error_code() const override { return error_code_; }
  void describe(RequestRecord& record) const override;

  // For an open request (a streamed upload): more text, and the end of the text.
  void append(std::vector<std::string> segments);
  void close();
  // The client's input turned out bad: the request ends (its scheduler slot freed) and the
  // response fails with `code` if nothing was sent yet.
  void reject(ErrorCode code, const std::string& message);

  // Seconds of audio delivered so far (at any output rate: counted on the voice's PCM).
  double audio_seconds() const;
  int output_rate() const { return transcoder_.out_rate(); }

  // A 200 response streaming `body`, with the format's Content-Type (and, for raw PCM, its
  // rate in X-Sample-Rate).
  static Response response(std::shared_ptr<BodySource> body, const OutputSpec& output, int rate);

 private:
  using Clock = std::chrono::steady_clock;
  AudioBody(sched::RequestHandle request, const OutputSpec& output, std::string engine,
            std::string voice, std::size_t chars);

  sched::RequestHandle request_;
  audio::Transcoder transcoder_;
  const std::string engine_;
  const std::string voice_;
  const std::size_t chars_;
  std::function<void()> waker_;
  std::string pcm_;       // scratch: PCM taken from the request, before encoding
  bool started_ = false;  // encoded bytes have been handed out
  bool ended_ = false;    // the encoder is finished
  bool rejected_ = false;
  std::string reject_message_;
  ErrorCode error_code_ = ErrorCode::kEngineFailed;
  Clock::time_point first_audio_{};
  std::size_t pcm_bytes_ = 0;
};

}  // namespace lector::api
