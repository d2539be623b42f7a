#include "api/wav_source.h"

#include "audio/wav.h"
#include "obs/log.h"

namespace lector::api {

std::shared_ptr<WavSource> WavSource::start(sched::Scheduler& scheduler,
                                            sched::SynthesisRequest request,
                                            std::string log_prefix) {
  return std::shared_ptr<WavSource>(
      new WavSource(scheduler.submit(std::move(request)), std::move(log_prefix)));
}

WavSource::WavSource(sched::RequestHandle request, std::string log_prefix)
    : request_(std::move(request)), log_prefix_(std::move(log_prefix)) {}

Response WavSource::response(std::shared_ptr<WavSource> source) {
  Response r;
  r.content_type = "audio/wav";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.stream = std::move(source);
  return r;
}

BodySource::State WavSource::next(std::string& out) {
  if (rejected_) return State::kFailed;
  const std::size_t before = out.size();
  if (!header_sent_) out += audio::wav_header(request_.sample_rate());
  // Bounded pieces: a client that stops reading holds at most one piece in the writer.
  const auto state = request_.take(out, nullptr, 128 * 1024);
  if (state == sched::RequestHandle::State::kEnd && !header_sent_) {
    header_sent_ = true;  // no audio at all: still a valid, empty WAV
    return State::kData;
  }
  if (state != sched::RequestHandle::State::kData) {
    out.resize(before);  // no header until there is audio: a failure can still be a 500
    return static_cast<State>(state);
  }
  if (!header_sent_) {
    header_sent_ = true;
    first_audio_ = Clock::now();
  }
  audio_bytes_ += out.size() - before;
  return State::kData;
}

void WavSource::set_waker(std::function<void()> waker) {
  waker_ = waker;
  request_.set_waker(std::move(waker));
}

void WavSource::cancel() {
  request_.cancel();
}

std::string WavSource::error() const {
  return rejected_ ? reject_message_ : request_.error();
}

void WavSource::append(std::vector<std::string> segments) {
  request_.append(std::move(segments));
}

void WavSource::close() {
  request_.close();
}

void WavSource::reject(ErrorCode code, const std::string& message) {
  error_code_ = code;
  reject_message_ = message;
  rejected_ = true;
  // The request ends here: its slot and queued segments are freed (issue 8, defect 1).
  request_.cancel();
  if (waker_) waker_();
}

void WavSource::finished(bool complete, std::size_t bytes_sent) {
  const auto ms = [&](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - request_.created()).count();
  };
  const double audio_s = static_cast<double>(audio_bytes_ > audio::kWavHeaderBytes
                                                 ? audio_bytes_ - audio::kWavHeaderBytes
                                                 : 0) /
                         2.0 / request_.sample_rate();
  obs::log_info("{} status={} bytes={} audio={:.2f}s ttfa={:.1f}ms total={:.1f}ms{}", log_prefix_,
                complete ? 200 : 499, bytes_sent, audio_s, header_sent_ ? ms(first_audio_) : -1.0,
                ms(Clock::now()), complete ? "" : " (incomplete)");
}

}  // namespace lector::api
