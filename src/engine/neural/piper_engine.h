#pragma once
// The `piper` engine: Piper voices (VITS models exported to ONNX, as the Piper project
// publishes them: NAME.onnx beside NAME.onnx.json) found under --piper-voices DIR, run through
// ONNX Runtime (onnx_runtime.h) with phonemes from libespeak-ng (phonemizer.h).
//
// Voice config fields read: audio.sample_rate, espeak.voice, phoneme_id_map, inference
// (noise_scale, length_scale, noise_w), num_speakers, speaker_id_map, language.code.
// Ids follow Piper's rules: the phonemes are NFD-decomposed, then BOS "^" and a pad "_", each
// phoneme's ids followed by a pad, then EOS "$" (piper_voice.h); unknown phonemes are dropped.
// A multi-speaker voice is offered as one voice per speaker ("NAME#SPEAKER"). `speed` divides
// length_scale, `volume` scales the samples, `pitch` is ignored (the model has no such input);
// samples are clamped to 16 bits, not peak-normalised. Each call is one model run. Models are
// loaded on first use, once per worker process, and shared by every thread; a model that fails
// to load fails its voice's requests (kEngineFailed, naming the file) and is not retried.

#include <memory>

#include "engine/engine.h"
#include "engine/neural/neural_options.h"

namespace lector::engine::neural {

// Never throws for a missing runtime or unusable voices: the engine is then unavailable()
// with the reason (engine.h). Throws lector::Error only for a programming error.
std::unique_ptr<Engine> make_piper_engine(const NeuralOptions& options);

}  // namespace lector::engine::neural
