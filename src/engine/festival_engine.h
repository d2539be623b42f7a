#pragma once
// Festival 2.5 (libFestival + Edinburgh Speech Tools) with every installed voice.
//
// Festival is one interpreter per process, initialised once, and usable only from the thread
// that initialised it: the worker creates one FestivalEngine on its main thread and calls it
// from there (a call from any other thread throws). Creating a second FestivalEngine in the
// same process reuses the first one's interpreter.
//
// The constructor loads every voice festival lists, because festival only knows a voice's
// language and gender (voice.description) and output rate after loading it; voices that fail
// to load or to speak are left out. Expect about two seconds of start-up and 330 MiB per process
// with the Debian voice packages installed (measured; see the README's engine table).
//
// Text goes to festival's tokenizer as data (an EST token stream over the string, converted to
// the voice's declared character set), never through the Scheme reader. Festival cuts it into
// utterances and each utterance's audio is delivered as soon as it is synthesized.
//
// Parameters: speed sets Duration_Stretch (diphone and cluster-unit voices) and the HTS
// engine's "-r" rate (HTS voices). Pitch scales the F0 targets festival plans before the
// waveform is made, which diphone voices follow; HTS and cluster-unit voices (the Russian
// msu_ru_nsh_clunits) make their own F0 and ignore it. Volume scales the samples.
//
// There is no way to interrupt festival inside an utterance: when the sink returns false the
// rest of the text is skipped at the next utterance boundary. The server cancels a running
// job by replacing the worker.

#include <string>
#include <vector>

#include "engine/engine.h"

namespace lector::engine {

class FestivalEngine final : public Engine {
 public:
  FestivalEngine();
  FestivalEngine(const FestivalEngine&) = delete;
  FestivalEngine& operator=(const FestivalEngine&) = delete;

  std::string name() const override { return "festival"; }
  // Most festival voices run at 16 kHz; see VoiceInfo::sample_rate for each one.
  int sample_rate() const override { return 16000; }
  std::vector<VoiceInfo> voices() const override;
  // One worker by default: each holds every loaded voice (see above). Word timings come from
  // each utterance's segment times.
  Capabilities capabilities() const override {
    return {.word_timings = true, .default_workers = 1, .memory_mb_per_worker = 319};
  }
  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override;
};

}  // namespace lector::engine
