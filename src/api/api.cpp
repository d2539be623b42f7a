#include "api/api.h"

#include "api/dto.h"
#include "api/routes.h"
#include "api/ws_sessions.h"
#include "obs/log.h"

namespace lector::api {

Api::Api(sched::Scheduler& scheduler, ApiConfig config)
    : scheduler_(scheduler),
      config_(std::move(config)),
      defaults_(scheduler_, config_.default_engine, config_.default_voice),
      body_cache_(config_.range_cache_bytes) {
  add_page_routes(routes_);
  add_catalog_routes(routes_, scheduler_, defaults_);
  add_tts_routes(routes_, *this);
  add_openai_routes(routes_, *this);
  add_captioned_routes(routes_, *this);
  add_marytts_routes(routes_, *this);
  add_ops_routes(routes_, *this);
  add_docs_routes(routes_);
}

void Api::begin_drain() {
  draining_.store(true);
  scheduler_.begin_drain();
}

std::string Api::route_label(std::string_view path) const {
  return routes_.match("GET", path).path_known || path == "/v1/stream" || path == "/ws" ||
                 path == "wyoming"
             ? std::string(path)
             : std::string("other");
}

void Api::request_done(const RequestRecord& r) noexcept {
  try {
    const std::string route = route_label(r.route);
    metrics_.record(r, route);
    const auto ms = [](const std::optional<double>& v) { return v ? *v * 1e3 : -1.0; };
    // Probes and scrapes come every few seconds: their successes only at debug level.
    const bool routine = r.status == 200 && (route == "/livez" || route == "/readyz" ||
                                             route == "/health" || route == "/metrics");
    std::vector<obs::LogField> fields = {
        {"id", r.id},
        {"route", route},
        {"method", r.method},
        {"status", static_cast<std::int64_t>(r.status)},
        {"end", to_string(r.end)},
        {"error", r.error ? to_string(*r.error) : ""},
        {"engine", r.engine},
        {"voice", r.voice},
        {"format", r.format},
        {"rate", static_cast<std::int64_t>(r.sample_rate)},
        {"chars", static_cast<std::int64_t>(r.chars)},
        {"bytes", static_cast<std::int64_t>(r.bytes)},
        {"audio_s", r.audio_seconds},
        {"queue_wait_ms", ms(r.queue_wait_seconds)},
        {"ttfa_ms", ms(r.first_audio_seconds)},
        {"total_ms", r.total_seconds * 1e3},
        {"key", r.key_name.empty() ? std::string_view("anonymous") : r.key_name},
        {"peer", r.peer}};
    // A stream cut short: what the listener had got, so the log says where they were cut off
    // (never the words themselves at info level: they are request text).
    if (r.heard && r.end != RequestEnd::kComplete && r.end != RequestEnd::kFailed) {
      const Heard& h = *r.heard;
      fields.push_back({"audio_seconds_sent", h.audio_seconds_sent});
      fields.push_back({"segment", h.segment ? static_cast<std::int64_t>(*h.segment) : -1});
      fields.push_back({"word_start", h.word ? static_cast<std::int64_t>(h.word->start) : -1});
      fields.push_back({"word_end", h.word ? static_cast<std::int64_t>(h.word->end) : -1});
      fields.push_back({"source_offset", static_cast<std::int64_t>(h.source_offset)});
    }
    obs::log_fields(routine ? obs::LogLevel::kDebug : obs::LogLevel::kInfo, "request", fields);
  } catch (const std::exception& e) {
    obs::log_error("request log failed: {}", e.what());
  }
}

Api::~Api() = default;

Response Api::error_response(ErrorCode code, const std::string& message, std::string_view path,
                             std::string_view param) const {
  const ErrorSpec& spec = error_spec(code);
  Response r = path.starts_with("/v1/")
                   ? json_response(openai_error_json(code, message, param), spec.http_status)
                   : json_response({{"error", message}}, spec.http_status);
  if (spec.retry_after)
    r.headers.emplace_back("Retry-After", std::to_string(config_.retry_after_seconds));
  if (code == ErrorCode::kUnauthorized)
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lector\"");
  r.error = code;
  return r;
}

Response Api::error_response(const Error& error, std::string_view path) const {
  Response r = error_response(error.code(), error.what(), path, error.param());
  if (error.retry_after() > 0) {
    for (auto& [name, value] : r.headers)
      if (name == "Retry-After") value = std::to_string(error.retry_after());
  }
  return r;
}

Response Api::handle(HttpRequest& request) noexcept {
  Response r = guarded(
      [&] {
        if (is_preflight(request)) return preflight(request);
        admit(request, false);
        return route(request);
      },
      request.path);
  add_cors(request, r);
  return r;
}

Response Api::guarded(const std::function<Response()>& body, std::string_view path) const noexcept {
  try {
    try {
      return body();
    } catch (const Error& e) {
      return error_response(e, path);
    } catch (const std::exception& e) {
      obs::log_error("internal error on {}: {}", path.substr(0, 200), e.what());
      return error_response(ErrorCode::kInternal, "internal error", path);
    }
  } catch (const std::exception& e) {
    // Building the error response itself failed (out of memory): the transport still needs
    // an answer, and this one allocates nothing it can fail on but the body.
    obs::log_error("error response on {} failed: {}", path.substr(0, 200), e.what());
    Response r;
    r.status = 500;
    return r;
  }
}

Response Api::route(const HttpRequest& request) const {
  const RouteTable::Match m = routes_.match(request.method, request.path);
  if (m.handler) return (*m.handler)(request);
  if (!m.path_known) throw Error(ErrorCode::kNotFound, "no route " + quote(request.path));
  Response r = error_response(ErrorCode::kBadMethod,
                              "method " + request.method + " is not allowed on " + request.path,
                              request.path);
  r.headers.emplace_back("Allow", m.allow);
  return r;
}

std::variant<std::unique_ptr<WsSession>, Response> Api::open_websocket(
    HttpRequest& request) noexcept {
  std::unique_ptr<WsSession> session;
  Response r = guarded(
      [&] {
        const bool known = request.path == "/v1/stream" || request.path == "/ws";
        if (known) {
          check_websocket_origin(request);
          admit(request, true);
        }
        if (request.path == "/v1/stream") {
          session = make_stream_session(*this, request);
        } else if (request.path == "/ws") {
          session = make_realtimetts_session(*this, request);
        } else {
          throw Error(ErrorCode::kNotFound, "no WebSocket route " + quote(request.path));
        }
        return Response{};
      },
      request.path);
  if (session) return session;
  return r;
}

RequestRecord utterance_record(const HttpRequest& upgrade, std::uint64_t n, int status,
                               RequestEnd end, std::chrono::steady_clock::time_point started) {
  RequestRecord r;
  r.id = upgrade.id + "/" + std::to_string(n);
  r.route = upgrade.path;
  r.method = "WS";
  r.peer = upgrade.peer;
  r.key_name = upgrade.key_name;
  r.status = status;
  r.end = end;
  r.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

bool Api::streams_body(std::string_view method, std::string_view path,
                       std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  // JSON carries parameters, and an SSML document is parsed whole: both are read first.
  return method == "POST" && path == "/tts" && media.find("json") == std::string_view::npos &&
         media != "application/ssml+xml";
}

sched::SynthesisRequest Api::resolve(const ParamLookup& params) const {
  return resolve_request(scheduler_, defaults_, params);
}

std::string Api::clean_text(std::string_view raw, const char* param, std::size_t max_chars) const {
  return api::clean_text(raw, max_chars != 0 ? max_chars : config_.max_text_chars, param);
}

std::string Api::language_of(const sched::SynthesisRequest& request) const {
  return api::language_of(scheduler_, request);
}

}  // namespace lector::api
