#include "api/route_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/routes.h"
#include "sched/scheduler.h"

namespace lector::api {
namespace {

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

// The message of an error body: Lector's {"error": message}, or OpenAI's
// {"error": {"message": ...}} under /v1/.
std::string error_of(const Response& r) {
  const auto error = nlohmann::json::parse(r.body).at("error");
  return error.is_object() ? error.at("message").get<std::string>() : error.get<std::string>();
}

TEST(RouteTable, DispatchesByPathAndMethod) {
  RouteTable t;
  t.add("/a", {"GET"},
        [](const HttpRequest&) { return Response{201, "text/plain", "a", {}, {}, {}}; });
  t.add("/b", {"POST"},
        [](const HttpRequest&) { return Response{202, "text/plain", "b", {}, {}, {}}; });
  t.add("/c", {"GET", "POST"}, [](const HttpRequest&) { return Response{}; });

  auto m = t.match("GET", "/a");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ((*m.handler)(HttpRequest{}).status, 201);
  ASSERT_NE(t.match("HEAD", "/a").handler, nullptr);  // GET implies HEAD
  ASSERT_NE(t.match("POST", "/b").handler, nullptr);
  EXPECT_EQ((*t.match("POST", "/b").handler)(HttpRequest{}).body, "b");

  m = t.match("POST", "/a");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.allow, "GET, HEAD");
  EXPECT_EQ(t.match("GET", "/b").allow, "POST");
  EXPECT_EQ(t.match("PUT", "/c").allow, "GET, HEAD, POST");

  m = t.match("GET", "/d");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.path_known);
  EXPECT_FALSE(t.match("GET", "/a/").path_known);  // exact paths only
  EXPECT_FALSE(t.match("get", "/a").handler);      // methods are case-sensitive (RFC 9110)
}

TEST(RouteTable, APathIsAddedOnce) {
  RouteTable t;
  t.add("/a", {"GET"}, [](const HttpRequest&) { return Response{}; });
  EXPECT_THROW(t.add("/a", {"POST"}, [](const HttpRequest&) { return Response{}; }), Error);
}

// The server's own table, through Api::handle, against a scheduler with no engines (nothing
// is started: every route answers from the empty catalog).
class ApiRoutes : public ::testing::Test {
 protected:
  sched::Scheduler scheduler{sched::SchedulerConfig{}};
  Api api{scheduler, ApiConfig{}};

  Response call(const std::string& method, const std::string& path, QueryParams params = {},
                std::string body = {}) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.params = std::move(params);
    r.body = std::move(body);
    r.content_type = "application/json";
    return api.handle(r);
  }
};

const std::map<std::string, std::string> kAllow = {
    {"/", "GET, HEAD"},
    {"/engines", "GET, HEAD"},
    {"/voices", "GET, HEAD"},
    {"/api/voices", "GET, HEAD"},
    {"/api/engines", "GET, HEAD"},
    {"/set_engine", "GET, HEAD"},
    {"/setvoice", "GET, HEAD"},
    {"/health", "GET, HEAD"},
    {"/status", "GET, HEAD"},
    {"/tts", "GET, HEAD, POST"},
    {"/v1/audio/speech", "POST"},
    {"/dev/captioned_speech", "POST"},
    {"/v1/models", "GET, HEAD"},
    {"/v1/audio/voices", "GET, HEAD"},
    {"/process", "GET, HEAD, POST"},
    {"/locales", "GET, HEAD"},
    {"/version", "GET, HEAD"},
    {"/marytts/voices", "GET, HEAD"},
    {"/livez", "GET, HEAD"},
    {"/readyz", "GET, HEAD"},
    {"/metrics", "GET, HEAD"},
    {"/web/page.css", "GET, HEAD"},
    {"/web/page.js", "GET, HEAD"},
    {"/web/voices.js", "GET, HEAD"},
    {"/web/stream.js", "GET, HEAD"},
    {"/web/live.js", "GET, HEAD"},
    {"/web/worklet.js", "GET, HEAD"},
    {"/openapi.json", "GET, HEAD"},
    {"/docs", "GET, HEAD"},
    {"/docs/init.js", "GET, HEAD"},
    {"/docs/swagger-ui-bundle.js", "GET, HEAD"},
    {"/docs/swagger-ui.css", "GET, HEAD"},
};

TEST_F(ApiRoutes, TheTableHasExactlyTheDocumentedRoutes) {
  std::vector<std::string> paths = api.routes().paths();
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> expected;
  for (const auto& [path, allow] : kAllow) expected.push_back(path);
  EXPECT_EQ(paths, expected);
}

TEST_F(ApiRoutes, EveryRouteAndMethod) {
  for (const auto& [path, allow] : kAllow) {
    for (const std::string method : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
      SCOPED_TRACE(method + " " + path);
      const Response r = call(method, path, {}, "{}");
      const bool allowed = allow.find(method) != std::string::npos;
      if (allowed) {
        // Built without Swagger UI, /docs and its files are a 404 that says so.
        if (!(path.starts_with("/docs") && !docs_available())) {
          EXPECT_NE(r.status, 404);
        }
        EXPECT_NE(r.status, 405);
        // No engine is live: /health says so; everything else answers or rejects the input.
        if (path == "/health") {
          EXPECT_EQ(r.status, 503);
        } else {
          EXPECT_LT(r.status, 500);
        }
      } else {
        EXPECT_EQ(r.status, 405);
        EXPECT_EQ(header(r, "Allow"), allow);
        EXPECT_EQ(error_of(r), "method " + method + " is not allowed on " + path);
      }
    }
  }
}

TEST_F(ApiRoutes, AnswersFromTheCatalog) {
  EXPECT_EQ(call("GET", "/engines").body, "[]");
  EXPECT_EQ(call("GET", "/voices").body, "[]");
  EXPECT_EQ(call("GET", "/").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(call("GET", "/health").status, 503);
  const Response unknown = call("GET", "/set_engine", {{"engine_name", "nope"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_of(unknown), "parameter 'engine_name': unknown engine 'nope'");
  EXPECT_EQ(error_of(call("GET", "/setvoice")), "parameter 'voice_name': missing");
  EXPECT_EQ(error_of(call("GET", "/tts")), "parameter 'text': missing");
  EXPECT_EQ(error_of(call("POST", "/tts", {}, "[1]")), "request body is not a JSON object");
  EXPECT_EQ(error_of(call("GET", "/tts", {{"text", "hi"}})),
            "parameter 'engine': unknown engine 'espeak'");
}

TEST_F(ApiRoutes, UnknownPathIs404) {
  const Response r = call("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(error_of(r), "no route '/nope'");
  EXPECT_EQ(error_of(call("POST", "/tts/extra")), "no route '/tts/extra'");
}

TEST_F(ApiRoutes, ErrorResponsesFollowTheTable) {
  const Response busy = api.error_response(ErrorCode::kOverloaded, "busy");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(header(busy, "Retry-After"), "1");
  EXPECT_EQ(busy.body, R"({"error":"busy"})");
  const Response big = api.error_response(ErrorCode::kHeadersTooLarge, "big");
  EXPECT_EQ(big.status, 431);
  EXPECT_EQ(header(big, "Retry-After"), "<none>");
}

TEST_F(ApiRoutes, AHandlerExceptionIsA500) {
  const Response r =
      api.guarded([]() -> Response { throw std::runtime_error("boom"); }, "/somewhere");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(error_of(r), "internal error");
}

TEST(OpsRoutes, ReadyOnlyWhenEveryConfiguredEngineHasALiveWorker) {
  // Configured but never started: no worker is live.
  sched::SchedulerConfig config;
  config.workers = {{"espeak", 1}, {"flite", 1}};
  sched::Scheduler scheduler(config);
  Api api(scheduler, ApiConfig{});
  HttpRequest r;
  r.method = "GET";
  r.path = "/readyz";
  Response ready = api.handle(r);
  EXPECT_EQ(ready.status, 503);
  const auto body = nlohmann::json::parse(ready.body);
  EXPECT_EQ(body.at("status"), "not_ready");
  EXPECT_EQ(body.at("not_ready"), nlohmann::json::array({"espeak", "flite"}));
  EXPECT_EQ(body.at("error"), "no live worker for engine 'espeak', 'flite'");
  r.path = "/livez";
  EXPECT_EQ(api.handle(r).status, 200);

  api.begin_drain();
  r.path = "/readyz";
  ready = api.handle(r);
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready.body).at("status"), "draining");
  r.path = "/livez";
  EXPECT_EQ(api.handle(r).status, 200);
  EXPECT_TRUE(scheduler.draining());
}

TEST_F(ApiRoutes, WebSocketRoutes) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/ws";
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<WsSession>>(api.open_websocket(r)));
  r.path = "/nope";
  auto opened = api.open_websocket(r);
  ASSERT_TRUE(std::holds_alternative<Response>(opened));
  EXPECT_EQ(std::get<Response>(opened).status, 404);
  EXPECT_EQ(error_of(std::get<Response>(opened)), "no WebSocket route '/nope'");
}

}  // namespace
}  // namespace lector::api
