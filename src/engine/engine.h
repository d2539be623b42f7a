#pragma once
// The engine interface. Engines are created and called only inside a worker process (see
// worker/worker_main.cpp); nothing in the server process includes an engine library. An engine
// is created on the worker's main thread. With capabilities().parallel_jobs == 1 it is also
// called there, one synthesis at a time; with parallel_jobs = N > 1 the worker calls
// synthesize() from N job threads at once (each with its own sink) while its main thread reads
// the server's frames, and the other members only from the main thread before the first job.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"
#include "engine/capabilities.h"
#include "engine/neural/neural_options.h"

namespace lector::engine {

// Receives PCM as the engine produces it, on the engine's thread. The samples are valid only
// during the call. Returning false asks the engine to stop this synthesis at once.
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  virtual bool on_audio(std::span<const std::int16_t> pcm) = 0;
  // A word starts `sample_offset` samples into this synthesis' audio; offsets are in code
  // points of the synthesized text. Engines that know word timings call it before the audio
  // that contains the word's start.
  virtual void on_word(std::size_t text_offset, std::size_t text_length,
                       std::uint64_t sample_offset) {
    (void)text_offset, (void)text_length, (void)sample_offset;
  }
  // For an engine that pauses between chunks of audio (the test engine's delays): delivers
  // the audio the sink holds back for batching, so that it is not delayed by the pause, and
  // returns false when the synthesis should stop (as on_audio would). Cheap enough to call
  // every few milliseconds.
  virtual bool keep_going() { return true; }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  virtual int sample_rate() const = 0;
  virtual std::vector<VoiceInfo> voices() const = 0;
  // Variants a voice name may carry as "name+variant"; none by default.
  virtual std::vector<std::string> variants() const { return {}; }
  virtual Capabilities capabilities() const = 0;
  // Non-empty when the engine started but cannot serve (a neural engine without ONNX Runtime,
  // or without a usable voice): why, in one sentence. Its worker then announces no voices and
  // this reason, which /api/engines and the log show; it is not respawned for it.
  virtual std::string unavailable() const { return {}; }
  // Synthesizes `text` (plain text, never markup) with voice `voice` (a VoiceInfo::name).
  // Returns false when the sink stopped it. Throws lector::Error on failure. Called from one
  // thread at a time unless capabilities().parallel_jobs > 1, when that many threads may call
  // it at once, each with its own sink.
  virtual bool synthesize(const std::string& voice, const SynthParams& params,
                          std::string_view text, AudioSink& sink) = 0;
};

// Names accepted by make_engine: the default set, then the opt-in engines (the test engine
// `tone` when built with LECTOR_TEST_ENGINE).
std::vector<std::string> engine_names();

// The engines `lector serve` runs when --engines is not given, in the order it offers them.
// Opt-in engines run only when named.
std::vector<std::string> default_engine_names();

// Creates and initialises an engine. Throws lector::Error when `name` is unknown or the
// engine's library cannot initialise. The neural engines (`piper`, `kokoro`) are made from
// `neural`, never throw for a missing runtime or voices (they are then unavailable()), and are
// not in engine_names(): `lector serve` runs them when their flags are given.
std::unique_ptr<Engine> make_engine(std::string_view name, const NeuralOptions& neural);
std::unique_ptr<Engine> make_engine(std::string_view name);

}  // namespace lector::engine
