#pragma once
// The test engine `tone`: deterministic audio with controllable timing and faults, so that
// end-to-end tests can prove causality (this audio arrived because of that event) instead of
// sleeping. Built only with -DLECTOR_TEST_ENGINE=ON and run only when named
// (`lector serve --engines espeak,tone` or `--pool tone=N`), never by default.
//
// Voices: `tone` (16 kHz) and `tone8` (8 kHz). Each word of the text (a whitespace-separated
// token with a Unicode letter or digit) gives 100 ms of a
// 250 Hz sine, divided by the speed parameter and scaled by volume (pitch is ignored), with a
// word mark before its audio. Audio is pushed in 20 ms chunks as it is produced.
//
// Directives anywhere in the text, which are not words and say nothing:
//   [delay:MS]    waits MS milliseconds before producing further audio; the audio produced
//                 before it is delivered first, and a cancel during the wait stops the job
//   [silence:MS]  MS milliseconds of zero samples (not scaled by speed)
//   [crash]       aborts the worker process
//   [hang]        delivers the audio so far, then blocks for ever, ignoring cancel
//   [fail]        fails the synthesis (lector::Error kEngineFailed)
// MS is 0..600000. Anything else in brackets is ordinary text.
//
// Two environment variables, read once when the engine is created (workers inherit the
// server's environment), exercise the plumbing of the neural engines:
//   LECTOR_TONE_JOBS=N         capabilities().parallel_jobs = N (1..64): the worker runs N
//                              syntheses at once on threads, and the scheduler gives it N slots
//   LECTOR_TONE_UNAVAILABLE=R  unavailable() returns R: the worker announces no voices and the
//                              reason R, as a neural engine without its runtime does
// Anything else in them (not a number in range, an empty reason) is ignored.
//
// synthesize() keeps its state on the stack and reads only constant members, so any number of
// threads may call it at once.

#include <string>
#include <vector>

#include "engine/engine.h"

namespace lector::engine {

class ToneEngine final : public Engine {
 public:
  ToneEngine();
  std::string name() const override { return "tone"; }
  int sample_rate() const override { return 16000; }
  std::vector<VoiceInfo> voices() const override;
  // Word marks for every word; a worker is tiny, so one per core; its directives are read as
  // sent, never cleaned up.
  Capabilities capabilities() const override {
    return {.word_timings = true,
            .text_as_written = true,
            .default_workers = 0,
            .memory_mb_per_worker = 17,
            .parallel_jobs = parallel_jobs_};
  }
  std::string unavailable() const override { return unavailable_; }
  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override;

 private:
  int parallel_jobs_ = 1;
  std::string unavailable_;
};

}  // namespace lector::engine
