#pragma once
// The `kokoro` engine: the Kokoro-82M ONNX model (--kokoro-model) with its voices
// (--kokoro-voices: the published .npz archive of 510x1x256 style vectors per voice, or a
// folder of per-voice .bin files as the kokoro-js npm package ships them) and its vocabulary
// (config.json "vocab", --kokoro-config or beside the model). 24 kHz output.
//
// Phonemes come from libespeak-ng (phonemizer.h) in the voice's language (from the voice
// name's first letter: a en-us, b en-gb, e es, f fr-fr, h hi, i it, p pt-br; j and z are
// not offered: espeak-ng does not phonemize them as Kokoro was trained), are mapped to token
// ids through the vocabulary (unknown phonemes dropped), padded with id 0 at both ends, and
// cut at clause boundaries so that no run exceeds the model's 510 tokens. The style row is
// the one indexed by the run's token count (without the padding). `speed` is passed to the
// model; `volume` scales the samples (clamped to 16 bits); `pitch` is not supported by Kokoro
// and is ignored.
//
// The model, vocabulary and voices are loaded when the engine is made (once per worker
// process), so that an unusable one is the engine's unavailable() reason from the start; every
// thread shares them (Capabilities::parallel_jobs = NeuralOptions::jobs, 0: one per core).
// Readers: kokoro_voices.h, kokoro_tokens.h; the formats and downloads: docs/KOKORO.md.

#include <memory>

#include "engine/engine.h"
#include "engine/neural/neural_options.h"

namespace lector::engine::neural {

// As make_piper_engine: a missing runtime, model, vocabulary or voices makes the engine
// unavailable() with the reason; it never throws for them.
std::unique_ptr<Engine> make_kokoro_engine(const NeuralOptions& options);

}  // namespace lector::engine::neural
