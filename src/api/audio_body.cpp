#include "api/audio_body.h"

namespace lector::api {

std::shared_ptr<AudioBody> AudioBody::start(sched::Scheduler& scheduler,
                                            sched::SynthesisRequest request, OutputSpec output,
                                            std::size_t chars) {
  if (const sched::EngineInfo* info = scheduler.engine(request.engine)) {
    if (const VoiceInfo* v = info->find_voice(request.voice))
      check_output_rate(output, info->rate_of(*v));
  }
  std::string engine = request.engine;
  std::string voice = request.voice;
  sched::RequestHandle handle = scheduler.submit(std::move(request));
  if (output.sample_rate == 0) output.sample_rate = handle.sample_rate();
  return std::shared_ptr<AudioBody>(
      new AudioBody(std::move(handle), output, std::move(engine), std::move(voice), chars));
}

AudioBody::AudioBody(sched::RequestHandle request, const OutputSpec& output, std::string engine,
                     std::string voice, std::size_t chars)
    : request_(std::move(request)),
      transcoder_(request_.sample_rate(), output.format, output.sample_rate),
      engine_(std::move(engine)),
      voice_(std::move(voice)),
      chars_(chars) {}

Response AudioBody::response(std::shared_ptr<BodySource> body, const OutputSpec& output, int rate) {
  Response r;
  r.content_type = audio::content_type(output.format);
  r.headers.emplace_back("Cache-Control", "no-store");
  if (output.format == audio::Format::kPcm)
    r.headers.emplace_back("X-Sample-Rate", std::to_string(rate));
  r.stream = std::move(body);
  return r;
}

BodySource::State AudioBody::next(std::string& out) {
  if (rejected_) return State::kFailed;
  if (ended_) return State::kEnd;
  const std::size_t before = out.size();
  // A codec may hold the first samples back (an MP3 frame needs 1152): keep taking until
  // bytes come out or the request has nothing more for now. An empty kData would read as the
  // end of a chunked body.
  for (;;) {
    pcm_.clear();
    // Bounded pieces: a client that stops reading holds at most one piece in the writer.
    const auto state = request_.take(pcm_, nullptr, 128 * 1024);
    if (state == sched::RequestHandle::State::kData) {
      if (pcm_bytes_ == 0) first_audio_ = Clock::now();
      pcm_bytes_ += pcm_.size();
      transcoder_.write(pcm_, out);
      if (out.size() > before) break;
      continue;
    }
    if (state == sched::RequestHandle::State::kEnd) {
      // The last frames and pages (an Ogg stream's end-of-stream page); an exact empty WAV
      // when there was no audio at all.
      transcoder_.finish(out);
      ended_ = true;
      if (out.size() > before) break;
      return State::kEnd;
    }
    // Nothing sent yet: a failure can still be an error response (no header went out).
    return static_cast<State>(state);
  }
  started_ = true;
  return State::kData;
}

void AudioBody::set_waker(std::function<void()> waker) {
  waker_ = waker;
  request_.set_waker(std::move(waker));
}

void AudioBody::cancel() {
  request_.cancel();
}

std::string AudioBody::error() const {
  return rejected_ ? reject_message_ : request_.error();
}

void AudioBody::append(std::vector<std::string> segments) {
  request_.append(std::move(segments));
}

void AudioBody::close() {
  request_.close();
}

void AudioBody::reject(ErrorCode code, const std::string& message) {
  error_code_ = code;
  reject_message_ = message;
  rejected_ = true;
  // The request ends here: its slot and queued segments are freed (issue 8, defect 1).
  request_.cancel();
  if (waker_) waker_();
}

double AudioBody::audio_seconds() const {
  return static_cast<double>(pcm_bytes_) / 2.0 / request_.sample_rate();
}

void AudioBody::describe(RequestRecord& record) const {
  record.engine = engine_;
  record.voice = voice_;
  record.format = audio::to_string(transcoder_.format());
  record.sample_rate = transcoder_.out_rate();
  record.chars = chars_;
  record.audio_seconds = audio_seconds();
  if (pcm_bytes_ > 0)
    record.first_audio_seconds =
        std::chrono::duration<double>(first_audio_ - request_.created()).count();
  if (const double wait = request_.queue_wait_seconds(); wait >= 0)
    record.queue_wait_seconds = wait;
}

}  // namespace lector::api
