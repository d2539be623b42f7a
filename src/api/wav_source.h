#pragma once
// The audio body of POST/GET /tts: a WAV header followed by a scheduler request's PCM. The
// one place HTTP responses touch a scheduler request (submit, append, close, cancel).
//
// Threading: all methods are called from the connection's strand; the waker may be called
// from the scheduler's thread. Owns its scheduler request (a RequestHandle: when the response
// goes away, so does the request); the Scheduler must outlive it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "sched/scheduler.h"

namespace lector::api {

class WavSource final : public BodySource {
 public:
  // Submits `request`; throws lector::Error (kOverloaded, kUnavailable, ...) when refused.
  // `log_prefix` starts the access-log line written when the response ends.
  static std::shared_ptr<WavSource> start(sched::Scheduler& scheduler,
                                          sched::SynthesisRequest request, std::string log_prefix);

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override;
  void cancel() override;
  std::string error() const override;
  ErrorCode error_code() const override { return error_code_; }
  void finished(bool complete, std::size_t bytes_sent) override;

  // For an open request (a streamed upload): more text, and the end of the text.
  void append(std::vector<std::string> segments);
  void close();
  // The client's input turned out bad: the request ends (its scheduler slot freed) and the
  // response fails with `code` if nothing was sent yet.
  void reject(ErrorCode code, const std::string& message);

  // A 200 audio/wav response streaming `source`.
  static Response response(std::shared_ptr<WavSource> source);

 private:
  using Clock = std::chrono::steady_clock;
  WavSource(sched::RequestHandle request, std::string log_prefix);

  sched::RequestHandle request_;
  std::string log_prefix_;
  std::function<void()> waker_;
  bool header_sent_ = false;
  bool rejected_ = false;
  std::string reject_message_;
  ErrorCode error_code_ = ErrorCode::kEngineFailed;
  Clock::time_point first_audio_{};
  std::size_t audio_bytes_ = 0;
};

}  // namespace lector::api
