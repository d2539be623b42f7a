#pragma once
// flite 2.2 (flite1-dev) with its compiled-in US English voices: kal (8 kHz diphone), kal16
// (16 kHz diphone), awb, rms and slt (16 kHz clustergen).
//
// Text is split into utterances by flite's token stream and each utterance streams its audio
// through flite's chunk callback, so the first audio of a long text comes after the first
// sentence, not after the whole text. Per-request state rides on the utterance (set in the
// voice's utt_user_callback), never on the shared voice, so synthesis itself would be
// reentrant; the worker still calls one FliteEngine from one thread.
//
// Parameters: speed maps to duration_stretch (1/speed times the voice's default), pitch scales
// the voice's mean and spread of F0 (int_f0_target_mean/stddev), volume scales the samples.
// The rms voice ignores the F0 target, so pitch has no effect on it.

#include <string>
#include <vector>

#include "engine/engine.h"

struct cst_voice_struct;  // flite's cst_voice

namespace lector::engine {

class FliteEngine final : public Engine {
 public:
  FliteEngine();
  FliteEngine(const FliteEngine&) = delete;
  FliteEngine& operator=(const FliteEngine&) = delete;

  std::string name() const override { return "flite"; }
  // Most voices run at 16 kHz; kal runs at 8 kHz (see VoiceInfo::sample_rate).
  int sample_rate() const override { return 16000; }
  std::vector<VoiceInfo> voices() const override;
  // Word timings from each utterance's segment times; workers are small, so one per core.
  Capabilities capabilities() const override {
    return {.word_timings = true, .default_workers = 0, .memory_mb_per_worker = 18};
  }
  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override;

  // A registered flite voice and the defaults that speed and pitch scale.
  struct Voice {
    VoiceInfo info;
    cst_voice_struct* voice = nullptr;  // owned by flite (register_* returns a singleton)
    float duration_stretch = 1.0f;
    float f0_mean = 0.0f;    // Hz; 0 when the voice has no F0 target
    float f0_stddev = 0.0f;  // Hz
  };

 private:
  const Voice* find_voice(const std::string& name) const;

  std::vector<Voice> voices_;
};

}  // namespace lector::engine
