#pragma once
// The pure parts of the remote engine (remote_engine.h): what an OpenAI-compatible upstream is
// sent and how its answers are read. No I/O here, so all of it is unit-tested without a
// network. Any thread may call these functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace lector::engine::remote {

// Where an upstream lives. `origin()` ("http://host:port") is what messages show: it never
// carries a key.
struct Endpoint {
  bool tls = false;
  std::string host;       // a name, an IPv4 address, or an IPv6 address without brackets
  std::string port;       // always set: 80 / 443 when the URL has none
  std::string base_path;  // "" or "/prefix", without a trailing slash
  std::string origin() const;
};

// Parses BASE_URL: http://host[:port][/path] (https:// when `allow_tls`). A trailing "/v1" is
// dropped, since the OpenAI SDKs' base URLs end in it and the routes are appended with it.
// Throws lector::Error(kBadParameter) naming what is wrong; the URL carries no credentials
// (user:password@ is refused so that a key cannot end up in logs through it).
Endpoint parse_base_url(std::string_view url, bool allow_tls);

// `url` for a message: user information before an '@' (which may be a key) replaced by "***".
std::string redact_url(std::string_view url);

// The voices an upstream lists at GET /v1/audio/voices, in either shape seen in the wild:
// {"voices": ["af_bella", ...]} (Kokoro-FastAPI) or {"voices": [{"id", "name" or
// "display_name", "language" or "languages", "gender"}, ...]} (Lector, speaches). Entries without a
// usable name are skipped; duplicates keep the first. Every voice gets `sample_rate`. Throws
// lector::Error(kEngineFailed) when the body is not JSON of one of those shapes.
std::vector<VoiceInfo> parse_voice_list(std::string_view body, int sample_rate);

// OpenAI's voice names, for an upstream that does not list its own (OpenAI itself does not).
std::vector<VoiceInfo> openai_voices(int sample_rate);

// The JSON body of POST /v1/audio/speech asking for raw PCM.
std::string speech_request_body(std::string_view model, std::string_view voice,
                                std::string_view text, double speed);

// The message of an upstream's error answer: OpenAI's {"error": {"message": ...}}, Lector's
// {"error": "..."}, FastAPI's {"detail": ...}, else the body itself (as text, shortened, with
// control characters replaced). Empty when the body says nothing.
std::string upstream_error_message(std::string_view body);

// Turns a byte stream of s16le PCM into samples when the stream may be split at any byte (an
// HTTP chunk or a read can end inside a sample): the odd byte is kept for the next piece.
class PcmAssembler {
 public:
  // Appends the whole samples that `bytes` completes to `out` (cleared first).
  void feed(std::string_view bytes, std::vector<std::int16_t>& out);
  // A byte is waiting for its other half.
  bool partial() const { return has_odd_; }

 private:
  bool has_odd_ = false;
  unsigned char odd_ = 0;
};

// Multiplies every sample by `gain`, saturating at the s16 limits (the volume parameter: an
// upstream's API has no volume).
void apply_volume(std::vector<std::int16_t>& pcm, double gain) noexcept;

}  // namespace lector::engine::remote
