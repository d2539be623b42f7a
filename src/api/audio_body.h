#pragma once
// The audio body of a synthesis response (/tts, /v1/audio/speech): the PCM of one scheduler
// request, or of a sequence of RUNS (an SSML document: speech in several voices, pauses),
// resampled to one rate and encoded once into the requested format (audio/transcoder.h) as it
// arrives, so the client gets ONE stream of that format. The one place HTTP responses touch a
// scheduler request (submit, append, close, cancel).
//
// Runs are submitted lazily, one ahead: the first speech run when the body starts (so a
// refusal is a plain 503/400), the next one as soon as the current one delivers its first
// audio, so the next run's first segment is synthesized while the current one plays and the
// seam costs nothing audible. A body so holds at most two scheduler slots (`--max-requests`),
// one for most of its life; when the next run's submission is refused for load, it is retried
// once the current run has ended and given its slot back.
//
// sentence_silence: zeros after the end of every segment (the segment-end marks of the
// request's audio), at the run's own rate before resampling.
//
// Threading: all methods are called from the connection's strand; the waker may be called
// from the scheduler's thread. Owns its scheduler requests (RequestHandles: when the response
// goes away, so do they); the Scheduler must outlive it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/heard.h"
#include "api/http_types.h"
#include "api/output.h"
#include "audio/transcoder.h"
#include "sched/scheduler.h"

namespace lector::api {

// One part of a body's audio: a synthesis (request.segments non-empty, or an open request),
// or a pause of `pause_ms` (then request.segments is empty and its engine and voice only
// name a rate).
struct AudioRun {
  sched::SynthesisRequest request;
  int pause_ms = 0;
  bool is_pause() const { return request.segments.empty() && !request.open; }
};

class AudioBody final : public BodySource {
 public:
  // Checks that the output can carry the voice's rate, then submits `request`; throws
  // lector::Error (kBadParameter, kOverloaded, kUnavailable, ...) when refused. `chars`: the
  // text's length, for the request's record (0 when not known).
  // `mapped`: the request's segments with their maps into the client's text, when the route
  // has them; then a stream cut short records what the client got (RequestRecord::heard).
  static std::shared_ptr<AudioBody> start(sched::Scheduler& scheduler,
                                          sched::SynthesisRequest request, OutputSpec output,
                                          std::size_t chars, int sentence_silence_ms = 0,
                                          std::vector<text::MappedText> mapped = {});
  // The runs in order, at least one. The body's rate is the requested sample_rate, else the
  // first speech run's native rate; runs at another rate are resampled to it.
  static std::shared_ptr<AudioBody> start(sched::Scheduler& scheduler, std::vector<AudioRun> runs,
                                          OutputSpec output, std::size_t chars,
                                          int sentence_silence_ms = 0);

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override;
  void cancel() override;
  std::string error() const override;
  ErrorCode error_code() const override { return error_code_; }
  void describe(RequestRecord& record) const override;

  // For an open request (a streamed upload; the body's only run): more text, and the end of
  // the text.
  void append(std::vector<std::string> segments);
  void close();
  // The client's input turned out bad: the request ends (its scheduler slot freed) and the
  // response fails with `code` if nothing was sent yet.
  void reject(ErrorCode code, const std::string& message);

  // Seconds of audio delivered so far (pauses and silences included).
  double audio_seconds() const;

  // Where words and segment ends fall in the body's audio, for captions and word events.
  // Collected only after collect_timings() (call it before the first next()); each next()
  // adds the marks of the audio it took, no later than that audio, and take_timings() hands
  // them over. `seconds` counts the body's audio from its start, silences and pauses included.
  struct Timing {
    enum class Kind { kWord, kSegmentEnd };
    Kind kind = Kind::kWord;
    std::size_t run = 0;
    std::size_t segment = 0;      // in the run's request
    std::size_t text_offset = 0;  // kWord: code points of the segment's text
    std::size_t text_length = 0;
    double seconds = 0.0;
  };
  void collect_timings() { collect_ = true; }
  std::vector<Timing> take_timings() { return std::exchange(timings_, {}); }
  int output_rate() const { return transcoder_.out_rate(); }

  // A 200 response streaming `body`, with the format's Content-Type (and, for raw PCM, its
  // rate in X-Sample-Rate).
  static Response response(std::shared_ptr<BodySource> body, const OutputSpec& output, int rate);

 private:
  using Clock = std::chrono::steady_clock;
  struct Run {
    sched::SynthesisRequest spec;  // until submitted
    int rate = 0;                  // the voice's native rate
    bool pause = false;
    std::size_t pause_left = 0;  // pause: bytes of zeros still to write, at the body's rate
    sched::RequestHandle handle;
    // Native rate -> the body's rate (raw PCM out): only when the runs' rates differ.
    std::unique_ptr<audio::Transcoder> resampler;
    std::size_t taken = 0;        // PCM bytes taken from the handle
    bool data = false;            // the handle has delivered audio
    double start_seconds = -1.0;  // where its audio starts in the body's, once it is current
    std::size_t ends = 0;         // segment ends passed (each followed by the silence)
  };
  AudioBody(sched::Scheduler& scheduler, std::vector<Run> runs, int pcm_rate,
            const OutputSpec& output, int out_rate, int sentence_silence_ms, std::size_t chars);

  // Submits run `i`; false (with the error kept) when the scheduler refuses it.
  bool submit(std::size_t i);
  // Submits the next speech run after the current one once the current one is under way.
  void prefetch();
  // Native-rate PCM of run `r` (silences inserted) into the encoder.
  void write_run_pcm(Run& r, std::string_view pcm, std::string& out);
  void write_pcm(std::string_view pcm, std::string& out);
  // The word and segment-end marks in marks_ as Timings of run `r`.
  void record_timings(Run& r);

  sched::Scheduler& scheduler_;
  std::vector<Run> runs_;
  std::size_t current_ = 0;
  const int pcm_rate_;  // the rate the transcoder takes
  const int silence_ms_;
  audio::Transcoder transcoder_;
  std::string engine_;  // of the first speech run, for the record
  std::string voice_;
  const std::size_t chars_;
  std::function<void()> waker_;
  std::string pcm_;        // scratch: PCM taken from a request, before encoding
  std::string mixed_;      // scratch: PCM with silences
  std::string resampled_;  // scratch: a run's PCM at the body's rate
  std::vector<sched::AudioMark> marks_;
  bool collect_ = false;
  std::vector<Timing> timings_;
  bool ended_ = false;  // the encoder is finished
  bool rejected_ = false;
  std::string reject_message_;
  std::string failure_;  // why the body failed (a run's error, a refused submission)
  ErrorCode error_code_ = ErrorCode::kEngineFailed;
  const Clock::time_point created_ = Clock::now();
  Clock::time_point first_audio_{};
  std::size_t pcm_bytes_ = 0;  // at pcm_rate_, into the transcoder
  // The single run's segments and marks, when the route gave their maps (describe: heard).
  std::unique_ptr<HeardTracker> tracker_;
};

}  // namespace lector::api
