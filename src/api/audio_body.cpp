#include "api/audio_body.h"

#include <algorithm>
#include <cstdint>

namespace lector::api {
namespace {

// Bounded pieces: a client that stops reading holds at most one piece in the writer. Above a
// worker's audio batch (64 KiB and the chunk that crossed it, job_framer.h), so that a batch
// moves to the writer whole, by a swap (AudioStream::take).
constexpr std::size_t kPiece = 128 * 1024;

std::size_t pcm_bytes_for(int ms, int rate) {
  return static_cast<std::size_t>(static_cast<std::int64_t>(ms) * rate / 1000) * 2;
}

}  // namespace

std::shared_ptr<AudioBody> AudioBody::start(sched::Scheduler& scheduler,
                                            sched::SynthesisRequest request, OutputSpec output,
                                            std::size_t chars, int sentence_silence_ms,
                                            std::vector<text::MappedText> mapped) {
  if (!mapped.empty()) {
    std::vector<AudioRun> runs(1);
    runs[0].request = std::move(request);
    auto body = start(scheduler, std::move(runs), output, chars, sentence_silence_ms);
    body->tracker_ = std::make_unique<HeardTracker>();
    body->tracker_->add_segments(std::move(mapped));
    return body;
  }
  std::vector<AudioRun> runs(1);
  runs[0].request = std::move(request);
  return start(scheduler, std::move(runs), output, chars, sentence_silence_ms);
}

std::shared_ptr<AudioBody> AudioBody::start(sched::Scheduler& scheduler, std::vector<AudioRun> runs,
                                            OutputSpec output, std::size_t chars,
                                            int sentence_silence_ms) {
  if (runs.empty()) throw Error(ErrorCode::kInternal, "audio body without runs");
  std::vector<Run> planned;
  planned.reserve(runs.size());
  int first_speech = 0;
  int first_any = 0;
  bool one_rate = true;
  for (AudioRun& a : runs) {
    Run r;
    const sched::EngineInfo* info = scheduler.engine(a.request.engine);
    if (info == nullptr)
      throw Error(ErrorCode::kUnavailable, "engine '" + a.request.engine + "' is not running");
    const VoiceInfo* voice = info->find_voice(a.request.voice);
    if (voice == nullptr) throw bad_parameter("voice", "unknown voice '" + a.request.voice + "'");
    r.rate = info->rate_of(*voice);
    r.pause = a.is_pause();
    if (first_any == 0) first_any = r.rate;
    if (!r.pause) {
      if (first_speech == 0) first_speech = r.rate;
      one_rate = one_rate && r.rate == first_speech;
    }
    r.spec = std::move(a.request);
    r.pause_left = static_cast<std::size_t>(std::max(a.pause_ms, 0));  // ms until the rate is known
    planned.push_back(std::move(r));
  }
  const int native = first_speech != 0 ? first_speech : first_any;
  check_output_rate(output, native);
  const int out_rate = output.sample_rate != 0 ? output.sample_rate : native;
  // One native rate (every plain request): the transcoder resamples, as for any request.
  // Several: each run is resampled straight to the output rate, once.
  const int pcm_rate = one_rate ? native : out_rate;
  for (Run& r : planned) {
    if (r.pause) r.pause_left = pcm_bytes_for(static_cast<int>(r.pause_left), pcm_rate);
    if (!r.pause && r.rate != pcm_rate)
      r.resampler = std::make_unique<audio::Transcoder>(r.rate, audio::Format::kPcm, pcm_rate);
  }
  std::shared_ptr<AudioBody> body(new AudioBody(scheduler, std::move(planned), pcm_rate, output,
                                                out_rate, sentence_silence_ms, chars));
  // The first speech run now, so that a refusal (503, unknown voice) is the response.
  for (std::size_t i = 0; i < body->runs_.size(); ++i) {
    Run& r = body->runs_[i];
    if (r.pause) continue;
    r.handle = scheduler.submit(std::move(r.spec));
    break;
  }
  return body;
}

AudioBody::AudioBody(sched::Scheduler& scheduler, std::vector<Run> runs, int pcm_rate,
                     const OutputSpec& output, int out_rate, int sentence_silence_ms,
                     std::size_t chars)
    : scheduler_(scheduler),
      runs_(std::move(runs)),
      pcm_rate_(pcm_rate),
      silence_ms_(sentence_silence_ms),
      transcoder_(pcm_rate, output.format, out_rate),
      chars_(chars) {
  for (const Run& r : runs_) {
    if (r.pause) continue;
    engine_ = r.spec.engine;
    voice_ = r.spec.voice;
    break;
  }
}

Response AudioBody::response(std::shared_ptr<BodySource> body, const OutputSpec& output, int rate) {
  Response r;
  r.content_type = audio::content_type(output.format);
  r.headers.emplace_back("Cache-Control", "no-store");
  if (output.format == audio::Format::kPcm)
    r.headers.emplace_back("X-Sample-Rate", std::to_string(rate));
  r.stream = std::move(body);
  return r;
}

bool AudioBody::submit(std::size_t i) {
  Run& r = runs_[i];
  try {
    // A copy: a refused submission (for load) is tried again later with the same spec.
    r.handle = scheduler_.submit(r.spec);
    r.spec.segments.clear();
  } catch (const Error& e) {
    failure_ = e.what();
    error_code_ = e.code();
    return false;
  }
  if (waker_) r.handle.set_waker(waker_);
  return true;
}

void AudioBody::prefetch() {
  const Run& cur = runs_[current_];
  if (!cur.pause && !cur.data) return;
  for (std::size_t i = current_ + 1; i < runs_.size(); ++i) {
    if (runs_[i].pause) continue;
    // Refused for load: tried again when that run becomes the current one.
    if (!runs_[i].handle) (void)submit(i);
    return;
  }
}

BodySource::State AudioBody::next(std::string& out) {
  if (rejected_) return State::kFailed;
  if (ended_) return State::kEnd;
  const std::size_t before = out.size();
  // A codec may hold the first samples back (an MP3 frame needs 1152): keep taking until
  // bytes come out or the request has nothing more for now. An empty kData would read as the
  // end of a chunked body.
  while (out.size() == before) {
    if (current_ == runs_.size()) {
      // The last frames and pages (an Ogg stream's end-of-stream page); an exact empty WAV
      // when there was no audio at all.
      transcoder_.finish(out);
      ended_ = true;
      if (out.size() > before) break;
      return State::kEnd;
    }
    Run& r = runs_[current_];
    if (r.pause) {
      prefetch();
      const std::size_t n = std::min(r.pause_left, kPiece);
      write_pcm(std::string(n, '\0'), out);
      r.pause_left -= n;
      if (r.pause_left == 0) ++current_;
      continue;
    }
    if (!r.handle && !submit(current_)) return State::kFailed;
    if (r.start_seconds < 0.0) r.start_seconds = static_cast<double>(pcm_bytes_) / 2.0 / pcm_rate_;
    sched::RequestHandle::State state;
    if (!r.resampler && silence_ms_ == 0) {
      // The common case: taken straight into `out` and encoded there, so WAV and PCM at the
      // voice's rate are not copied again (the swap in AudioStream::take moves the buffer).
      const std::size_t from = out.size();
      marks_.clear();
      state = r.handle.take(out, tracker_ || collect_ ? &marks_ : nullptr, kPiece);
      if (tracker_)
        for (const sched::AudioMark& m : marks_) tracker_->mark(m);
      if (collect_) record_timings(r);
      if (state == sched::RequestHandle::State::kData) {
        r.data = true;
        r.taken += out.size() - from;
        if (pcm_bytes_ == 0) first_audio_ = Clock::now();
        pcm_bytes_ += out.size() - from;
        transcoder_.encode_appended(out, from);
        prefetch();
        continue;
      }
    } else {
      pcm_.clear();
      marks_.clear();
      state =
          r.handle.take(pcm_, silence_ms_ > 0 || tracker_ || collect_ ? &marks_ : nullptr, kPiece);
      if (tracker_)
        for (const sched::AudioMark& m : marks_) tracker_->mark(m);
      if (collect_) record_timings(r);
      if (state == sched::RequestHandle::State::kData) {
        r.data = true;
        write_run_pcm(r, pcm_, out);
        prefetch();
        continue;
      }
    }
    if (state == sched::RequestHandle::State::kEnd) {
      if (r.resampler) {
        mixed_.clear();
        r.resampler->finish(mixed_);
        write_pcm(mixed_, out);
      }
      ++current_;
      continue;
    }
    if (state == sched::RequestHandle::State::kFailed) failure_ = r.handle.error();
    // Nothing sent yet: a failure can still be an error response (no header went out).
    return static_cast<State>(state);
  }
  return State::kData;
}

void AudioBody::record_timings(Run& r) {
  const double silence = silence_ms_ / 1000.0;
  for (const sched::AudioMark& m : marks_) {
    if (m.kind == sched::AudioMark::Kind::kSegmentStart) continue;
    Timing t;
    t.run = current_;
    t.segment = m.segment;
    t.seconds = r.start_seconds + static_cast<double>(m.offset) / 2.0 / r.rate +
                static_cast<double>(r.ends) * silence;
    if (m.kind == sched::AudioMark::Kind::kSegmentEnd) {
      t.kind = Timing::Kind::kSegmentEnd;
      ++r.ends;
    } else {
      t.text_offset = m.text_offset;
      t.text_length = m.text_length;
    }
    timings_.push_back(t);
  }
}

void AudioBody::write_run_pcm(Run& r, std::string_view pcm, std::string& out) {
  std::string_view chunk = pcm;
  if (silence_ms_ > 0 && !marks_.empty()) {
    // Zeros after every segment end: split the chunk at the marks.
    mixed_.clear();
    std::size_t pos = 0;
    for (const sched::AudioMark& m : marks_) {
      if (m.kind != sched::AudioMark::Kind::kSegmentEnd) continue;
      const std::size_t at = std::min(m.offset - std::min(m.offset, r.taken), pcm.size());
      mixed_.append(pcm.substr(pos, at - pos));
      mixed_.append(pcm_bytes_for(silence_ms_, r.rate), '\0');
      pos = at;
    }
    mixed_.append(pcm.substr(pos));
    chunk = mixed_;
  }
  r.taken += pcm.size();
  if (!r.resampler) {
    write_pcm(chunk, out);
    return;
  }
  resampled_.clear();
  r.resampler->write(chunk, resampled_);
  write_pcm(resampled_, out);
}

void AudioBody::write_pcm(std::string_view pcm, std::string& out) {
  if (pcm.empty()) return;
  if (pcm_bytes_ == 0) first_audio_ = Clock::now();
  pcm_bytes_ += pcm.size();
  transcoder_.write(pcm, out);
}

void AudioBody::set_waker(std::function<void()> waker) {
  waker_ = waker;
  for (Run& r : runs_)
    if (r.handle) r.handle.set_waker(waker);
}

void AudioBody::cancel() {
  for (Run& r : runs_) r.handle.cancel();
}

std::string AudioBody::error() const {
  return rejected_ ? reject_message_ : failure_;
}

void AudioBody::append(std::vector<std::string> segments) {
  runs_.front().handle.append(std::move(segments));
}

void AudioBody::close() {
  runs_.front().handle.close();
}

void AudioBody::reject(ErrorCode code, const std::string& message) {
  error_code_ = code;
  reject_message_ = message;
  rejected_ = true;
  // The request ends here: its slot and queued segments are freed (issue 8, defect 1).
  cancel();
  if (waker_) waker_();
}

double AudioBody::audio_seconds() const {
  return static_cast<double>(pcm_bytes_) / 2.0 / pcm_rate_;
}

void AudioBody::describe(RequestRecord& record) const {
  record.engine = engine_;
  record.voice = voice_;
  record.format = audio::to_string(transcoder_.format());
  record.sample_rate = transcoder_.out_rate();
  record.chars = chars_;
  record.audio_seconds = audio_seconds();
  if (pcm_bytes_ > 0)
    record.first_audio_seconds = std::chrono::duration<double>(first_audio_ - created_).count();
  for (const Run& r : runs_) {
    if (r.pause || !r.handle) continue;
    if (const double wait = r.handle.queue_wait_seconds(); wait >= 0)
      record.queue_wait_seconds = wait;
    break;
  }
  if (tracker_ && !runs_.empty()) {
    // The log shows it for a stream that did not complete. Resampling and encoding hold a few
    // milliseconds back, so this is what went into the encoder.
    Heard h = tracker_->heard(runs_.front().taken);
    h.audio_seconds_sent = audio_seconds();
    record.heard = std::move(h);
  }
}

}  // namespace lector::api
