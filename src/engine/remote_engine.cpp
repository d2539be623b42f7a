#include "engine/remote_engine.h"

#include <cstdio>
#include <thread>

#include "core/error.h"

namespace lector::engine {

using remote::Exchange;
using remote::TransportError;

namespace {

// Error bodies and voice lists are small; more than this is cut off.
constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr std::size_t kVoiceListLimit = 4 * 1024 * 1024;

}  // namespace

RemoteEngine::RemoteEngine(RemoteConfig config)
    : config_(std::move(config)),
      endpoint_(remote::parse_base_url(config_.base_url, remote::tls_supported())),
      voices_(fetch_voices()) {}

std::vector<VoiceInfo> RemoteEngine::fetch_voices() const {
  try {
    Exchange exchange(endpoint_, {config_.voices_timeout, config_.voices_timeout});
    remote::Request request;
    request.path = "/v1/audio/voices";
    request.bearer = config_.key;
    exchange.start(request);
    if (exchange.status() != 200)
      throw Error(ErrorCode::kEngineFailed, "upstream " + endpoint_.origin() + " answered " +
                                                std::to_string(exchange.status()) +
                                                " to GET /v1/audio/voices");
    std::vector<VoiceInfo> voices =
        remote::parse_voice_list(exchange.read_rest(kVoiceListLimit), kSampleRate);
    if (voices.empty())
      throw Error(ErrorCode::kEngineFailed, "upstream " + endpoint_.origin() + " lists no voices");
    return voices;
  } catch (const Error& e) {
    // Every worker of the pool starts alike; each says why it fell back.
    std::fprintf(stderr,
                 "lector worker (remote engine %s): no voice list (%s); offering OpenAI's voice "
                 "names\n",
                 config_.name.c_str(), e.what());
    return remote::openai_voices(kSampleRate);
  }
}

bool RemoteEngine::synthesize(const std::string& voice, const SynthParams& params,
                              std::string_view text, AudioSink& sink) {
  const remote::Request request{
      .method = "POST",
      .path = "/v1/audio/speech",
      .content_type = "application/json",
      .body = remote::speech_request_body(config_.model, voice, text, params.speed),
      .bearer = config_.key};
  for (int attempt = 1;; ++attempt) {
    std::uint64_t received = 0;
    try {
      return stream_once(request, params.volume, sink, received);
    } catch (const TransportError& e) {
      const bool upstream_may_retry =
          e.kind() == TransportError::Kind::kRefused || e.kind() == TransportError::Kind::kLost;
      if (attempt > 1)
        throw Error(ErrorCode::kEngineFailed, std::string(e.what()) + " (tried twice)");
      if (!upstream_may_retry || received > 0) throw;
    }
    // A restarting upstream refuses connections for a moment; wait a little, still
    // answering a cancel.
    const auto until = std::chrono::steady_clock::now() + config_.retry_pause;
    while (std::chrono::steady_clock::now() < until) {
      if (!sink.keep_going()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

bool RemoteEngine::stream_once(const remote::Request& request, double volume, AudioSink& sink,
                               std::uint64_t& received) const {
  Exchange exchange(endpoint_, config_.timeouts, [&sink] { return sink.keep_going(); });
  if (!exchange.start(request)) return false;
  if (exchange.status() != 200) {
    std::string body;
    try {
      body = exchange.read_rest(kErrorBodyLimit);
    } catch (const TransportError&) {
      // The status says enough; a body cut short adds nothing.
    }
    const std::string message = remote::upstream_error_message(body);
    throw Error(ErrorCode::kEngineFailed, "upstream " + endpoint_.origin() + " answered " +
                                              std::to_string(exchange.status()) +
                                              (message.empty() ? "" : ": " + message));
  }
  remote::PcmAssembler assembler;
  std::string bytes;
  std::vector<std::int16_t> samples;
  for (;;) {
    switch (exchange.read_some(bytes)) {
      case Exchange::Read::kStopped:
        return false;
      case Exchange::Read::kEnd:
        // An odd byte at the very end is half a sample: nothing to play.
        return true;
      case Exchange::Read::kData:
        received += bytes.size();
        assembler.feed(bytes, samples);
        if (samples.empty()) break;
        remote::apply_volume(samples, volume);
        if (!sink.on_audio(samples)) return false;
        break;
    }
  }
}

}  // namespace lector::engine
