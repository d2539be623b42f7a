#pragma once
// espeak-ng through libespeak-ng in synchronous mode (no audio device). The library keeps
// global state and is not thread-safe, so one process holds one EspeakEngine and calls it
// from one thread.

#include <string>
#include <vector>

#include "engine/engine.h"

namespace lector::engine {

class EspeakEngine final : public Engine {
 public:
  EspeakEngine();
  EspeakEngine(const EspeakEngine&) = delete;
  EspeakEngine& operator=(const EspeakEngine&) = delete;

  std::string name() const override { return "espeak"; }
  int sample_rate() const override { return sample_rate_; }
  std::vector<VoiceInfo> voices() const override { return voices_; }
  std::vector<std::string> variants() const override { return variants_; }
  // Word marks from espeak-ng's word events; workers are small, so one per core.
  Capabilities capabilities() const override {
    return {.word_timings = true, .default_workers = 0, .memory_mb_per_worker = 20};
  }
  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override;

 private:
  const VoiceInfo* find_voice(const std::string& name) const;

  int sample_rate_ = 0;
  std::vector<VoiceInfo> voices_;
  std::vector<std::string> variants_;  // file names in espeak-ng-data/voices/!v
  std::string current_voice_;          // engine_id of the voice espeak has loaded
};

}  // namespace lector::engine
