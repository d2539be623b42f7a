#pragma once
// Routes, independent of the transport. The HTTP layer parses each request into an
// HttpRequest (decoded path and query, see http_types.h), calls Api::handle, and writes the
// Response: a whole body, or a BodySource it pulls from.
//
// Threading: every public method may be called from any number of threads at once. Api owns
// the route table (built in the constructor, read-only afterwards) and the server-wide
// defaults; it refers to the scheduler, which must outlive it and every response it made.

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/held_body.h"
#include "api/http_types.h"
#include "api/openai_voices.h"
#include "api/params.h"
#include "api/route_table.h"
#include "api/server_metrics.h"
#include "api/text_options.h"
#include "sched/scheduler.h"
#include "text/segmenter.h"

namespace lector::access {
class AccessControl;
}

namespace lector::api {

class LexiconStore;

struct ApiConfig {
  std::string default_engine = "espeak";
  std::string default_voice = "en-us";
  std::size_t max_text_chars = 20000;
  text::SegmenterOptions segmenter;
  int retry_after_seconds = 1;
  std::size_t max_ws_message_bytes = 64 * 1024;
  std::chrono::milliseconds quiet_flush{300};  // streamed text: flush a pending fragment after this
  std::size_t openai_max_input = 4096;         // characters of `input` on /v1/audio/speech
  std::vector<OpenAiVoiceOverride> openai_voices;  // --openai-voice NAME=ENGINE:VOICE
  double sentence_silence = 0;  // --sentence-silence: seconds after each sentence, 0 to 10
  // The server's default pause after each sentence, in milliseconds (what a request that does
  // not say gets).
  int sentence_silence_ms() const { return static_cast<int>(std::lround(sentence_silence * 1000)); }
  // --range-cache-bytes: whole /tts bodies kept for Range requests and complete=1 (held_body.h);
  // 0 keeps none (every such request is synthesized).
  std::size_t range_cache_bytes = std::size_t{32} << 20;
  // Keys, rate limits, quotas and CORS (api/gate.cpp); null: every route open, CORS for the
  // localhost origins.
  std::shared_ptr<access::AccessControl> access;
  // What a request that does not say gets: normalization on, code (--read-code) and emoji
  // (--emoji-names).
  TextOptions text;
  // --lexicon FILE; null: no server lexicon.
  std::shared_ptr<LexiconStore> lexicon;
};

class Api {
 public:
  Api(sched::Scheduler& scheduler, ApiConfig config);
  ~Api();
  // Never throws: every error becomes a JSON error response (404, 405 with Allow, ...).
  // Answers CORS preflights, admits the request (api/gate.cpp: key, rate limits; fills in
  // request.key_name and request.usage), routes it, and adds the CORS headers.
  Response handle(HttpRequest& request) noexcept;
  // An HTTP error with status and Retry-After from the error table (core/error.h), also for
  // errors the transport detects (oversize headers, ...). The body is Lector's shape,
  // {"error": message}, except under the OpenAI routes (paths starting with /v1/), which
  // answer OpenAI's {"error": {"message", "type", "param", "code"}}. `param` names the bad
  // request parameter, if any.
  Response error_response(ErrorCode code, const std::string& message, std::string_view path = {},
                          std::string_view param = {}) const;
  // The same for a thrown Error, with its own Retry-After when it has one.
  Response error_response(const Error& error, std::string_view path) const;

  // For a WebSocket upgrade of `request`: the session, or an error response (404 for a path
  // with no WebSocket route, 403 for an Origin not allowed, 401/429 from the gate; the key may
  // also come as ?api_key=, since browsers cannot set headers on a WebSocket).
  std::variant<std::unique_ptr<WsSession>, Response> open_websocket(HttpRequest& request) noexcept;
  const ApiConfig& config() const { return config_; }

  // Whether a request with this head wants its body streamed into synthesis (POST /tts with a
  // text body) rather than read whole first.
  static bool streams_body(std::string_view method, std::string_view path,
                           std::string_view content_type);
  // For such a request: the audio response and the sink for its body, or an error response.
  std::variant<Upload, Response> open_upload(HttpRequest& head) noexcept;

  // Engine, voice and audio parameters of a synthesis (everything but the text), from
  // request parameters and the server defaults. Throws Error(kBadParameter).
  sched::SynthesisRequest resolve(const ParamLookup& params) const;
  // Validates and cleans user text: UTF-8, length cap (`max_chars`, else --max-text-chars),
  // control characters. Throws on bad text.
  std::string clean_text(std::string_view raw, const char* param = "text",
                         std::size_t max_chars = 0) const;
  const Defaults& defaults() const { return defaults_; }
  // The language of a resolved request's voice, for segmentation.
  std::string language_of(const sched::SynthesisRequest& request) const;
  sched::Scheduler& scheduler() { return scheduler_; }
  const sched::Scheduler& scheduler() const { return scheduler_; }
  const RouteTable& routes() const { return routes_; }

  // A request or utterance is over: writes its log line and counts it in the metrics.
  void request_done(const RequestRecord& record) noexcept;
  // A WebSocket error event refused something (see ServerMetrics::error).
  void note_error(ErrorCode code) noexcept { metrics_.error(code); }
  // The metrics route label of a path: the route's own path, or "other" (so unknown paths
  // cannot multiply the series).
  std::string route_label(std::string_view path) const;
  ServerMetrics& metrics() { return metrics_; }
  BodyCache& body_cache() { return body_cache_; }

  // Shutdown. begin_drain(): /readyz turns 503 and the scheduler refuses new synthesis
  // (kShuttingDown); what runs goes on. begin_cut(): the drain deadline passed, and streams
  // still running are being cut (they are recorded as RequestEnd::kShutdown).
  void begin_drain();
  bool draining() const { return draining_.load(); }
  void begin_cut() { cutting_.store(true); }
  bool cutting() const { return cutting_.load(); }

  // Runs `body`, turning every exception into an error response: lector::Error by the error
  // table, anything else a logged 500. The one wrapper every handler runs in.
  Response guarded(const std::function<Response()>& body, std::string_view path) const noexcept;

 private:
  Response route(const HttpRequest& request) const;
  // api/gate.cpp. admit() throws lector::Error (401, 403, 429).
  void admit(HttpRequest& request, bool websocket);
  bool is_preflight(const HttpRequest& request) const;
  Response preflight(const HttpRequest& request) const;
  void add_cors(const HttpRequest& request, Response& response) const noexcept;
  void check_websocket_origin(const HttpRequest& request) const;

  sched::Scheduler& scheduler_;
  const ApiConfig config_;
  Defaults defaults_;
  RouteTable routes_;
  ServerMetrics metrics_;
  BodyCache body_cache_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> cutting_{false};
};

}  // namespace lector::api
