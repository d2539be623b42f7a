// Access control and CORS for every HTTP request and WebSocket upgrade (access/access.h holds
// the keys, buckets and quotas; this file knows the routes and the HTTP headers).

#include "access/access.h"
#include "api/api.h"

namespace lector::api {
namespace {

constexpr std::string_view kProbePaths[] = {"/health", "/livez", "/readyz"};
constexpr std::string_view kSynthesisPaths[] = {
    "/tts", "/v1/audio/speech", "/dev/captioned_speech", "/process", "/v1/stream", "/ws"};
constexpr std::string_view kAdminPaths[] = {"/set_engine", "/setvoice"};

template <std::size_t N>
bool among(std::string_view path, const std::string_view (&paths)[N]) {
  for (std::string_view p : paths)
    if (p == path) return true;
  return false;
}

access::RouteKind route_kind(std::string_view path) {
  if (among(path, kSynthesisPaths)) return access::RouteKind::kSynthesis;
  if (among(path, kAdminPaths)) return access::RouteKind::kAdmin;
  if (among(path, kProbePaths)) return access::RouteKind::kProbe;
  return access::RouteKind::kCatalog;
}

const access::CorsPolicy& default_cors() {
  static const access::CorsPolicy policy({});
  return policy;
}

// "1.2.3.4:5678" -> "1.2.3.4", "[::1]:80" or "::1:80" -> the address part.
std::string_view client_address(std::string_view peer) {
  const auto colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace

void Api::admit(HttpRequest& request, bool websocket) {
  if (!config_.access) return;
  std::optional<std::string_view> query_key;
  std::optional<std::string> query_value;
  if (websocket) {
    query_value = request.param("api_key");
    query_key = query_value ? std::string_view(*query_value) : std::string_view();
  }
  const access::Credentials credentials{request.header("authorization").value_or(""), query_key,
                                        client_address(request.peer)};
  access::Grant grant = config_.access->admit(route_kind(request.path), credentials);
  request.key_name = std::move(grant.key_name);
  request.usage = std::move(grant.usage);
}

bool Api::is_preflight(const HttpRequest& request) const {
  return request.method == "OPTIONS" && request.header("origin") &&
         request.header("access-control-request-method");
}

Response Api::preflight(const HttpRequest& request) const {
  const std::string_view origin = *request.header("origin");
  const access::CorsPolicy& cors = config_.access ? config_.access->cors() : default_cors();
  if (!cors.allows(origin, request.header("host").value_or("")))
    throw Error(ErrorCode::kForbidden,
                "origin '" + std::string(origin) + "' is not allowed (--cors-origin)");
  const RouteTable::Match m = routes_.match("OPTIONS", request.path);
  if (!m.path_known) throw Error(ErrorCode::kNotFound, "no route '" + request.path + "'");
  Response r;
  r.status = 204;
  r.content_type.clear();
  r.headers.emplace_back("Access-Control-Allow-Methods", m.allow);
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, X-Request-Id");
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  // add_cors() adds Allow-Origin and Vary.
  return r;
}

void Api::add_cors(const HttpRequest& request, Response& response) const noexcept {
  try {
    const std::optional<std::string_view> origin = request.header("origin");
    if (!origin) return;
    const access::CorsPolicy& cors = config_.access ? config_.access->cors() : default_cors();
    response.headers.emplace_back("Vary", "Origin");
    if (!cors.allows(*origin, request.header("host").value_or(""))) return;
    response.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
    response.headers.emplace_back("Access-Control-Expose-Headers",
                                  "Retry-After, X-Sample-Rate, X-Request-Id, WWW-Authenticate");
  } catch (const std::exception&) {
    // Out of memory while adding headers: the response goes out without CORS, which a
    // browser treats as a refusal.
  }
}

void Api::check_websocket_origin(const HttpRequest& request) const {
  // Browsers always send Origin on a WebSocket; other clients need not, and are not pages.
  const std::optional<std::string_view> origin = request.header("origin");
  if (!origin) return;
  const access::CorsPolicy& cors = config_.access ? config_.access->cors() : default_cors();
  if (!cors.allows(*origin, request.header("host").value_or("")))
    throw Error(ErrorCode::kForbidden,
                "origin '" + std::string(*origin) + "' may not open a WebSocket (--cors-origin)");
}

}  // namespace lector::api
