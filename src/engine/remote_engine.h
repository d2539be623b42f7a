#pragma once
// The remote engine: syntheses forwarded to an OpenAI-compatible upstream (another Lector,
// Kokoro-FastAPI, openedai-speech, speaches, OpenAI itself). Like every engine it runs inside
// worker processes (`lector worker --engine NAME --remote-url URL`), so the scheduler treats it
// as any other: the pool size is the number of requests in flight to the upstream, and
// deadlines, retries on another worker, cancel and respawn work unchanged.
//
// A synthesis is `POST BASE/v1/audio/speech` with {"model", "input", "voice",
// "response_format": "pcm", "speed"}; the answer (24 kHz s16le mono, as OpenAI documents pcm)
// is passed on as it arrives. volume is applied here on the samples; pitch cannot be sent and
// is ignored. A connection refused or reset before any audio arrived is tried once more after
// a short pause; after audio arrived it is not (that would repeat speech). Errors name the
// upstream's origin and its answer, never the key.
//
// Threading: created and called on the worker's main thread only.

#include <chrono>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/remote_http.h"
#include "engine/remote_protocol.h"

namespace lector::engine {

struct RemoteConfig {
  std::string name;      // the engine's name in Lector, e.g. "cloud"
  std::string base_url;  // http://host:port[/prefix]; https:// when built with OpenSSL
  std::string model = "tts-1";
  std::string key;  // bearer token; empty: no Authorization header. Never logged.
  remote::Timeouts timeouts;
  // The voice list is asked for once at start-up with this (short) timeout, so that a dead
  // upstream does not hold up the server's start.
  std::chrono::milliseconds voices_timeout{3000};
  std::chrono::milliseconds retry_pause{250};
};

class RemoteEngine final : public Engine {
 public:
  // OpenAI's pcm format.
  static constexpr int kSampleRate = 24000;

  // Asks the upstream for its voices; when it does not answer (or lists none), offers OpenAI's
  // voice names, so the engine is listed and syntheses fail with a clear error until the
  // upstream is up. Throws lector::Error(kBadParameter) for a bad URL.
  explicit RemoteEngine(RemoteConfig config);

  std::string name() const override { return config_.name; }
  int sample_rate() const override { return kSampleRate; }
  std::vector<VoiceInfo> voices() const override { return voices_; }
  // A worker only waits on a socket, so the pool is the upstream's concurrency cap rather than
  // a CPU budget: 4 by default (--pool NAME=N). Memory: measured like the others (VmRSS of an
  // idle worker under `lector serve`, 2026-11-29): 20 MiB, most of it the shared binary.
  Capabilities capabilities() const override {
    return {.word_timings = false, .default_workers = 4, .memory_mb_per_worker = 20};
  }
  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override;

 private:
  std::vector<VoiceInfo> fetch_voices() const;
  // One request; `received` counts the audio bytes that arrived. False when the sink stopped it.
  bool stream_once(const remote::Request& request, double volume, AudioSink& sink,
                   std::uint64_t& received) const;

  RemoteConfig config_;
  remote::Endpoint endpoint_;
  std::vector<VoiceInfo> voices_;
};

}  // namespace lector::engine
