// docs/openapi.json (embedded, served at /openapi.json) against the route table: every route
// and method the server registers is described, and nothing else is.

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "api/api.h"
#include "sched/scheduler.h"

namespace lector::api {

std::string_view openapi_json();

namespace {

using json = nlohmann::json;

// The WebSocket routes are not in the route table (Api::open_websocket answers them); the
// document describes their upgrade as a GET.
const std::set<std::string> kWebSocketPaths = {"/v1/stream", "/ws"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, DescribesEveryRouteAndNothingElse) {
  const json doc = json::parse(openapi_json());
  ASSERT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
  const json& paths = doc.at("paths");

  sched::Scheduler scheduler{sched::SchedulerConfig{}};
  Api api{scheduler, ApiConfig{}};
  std::set<std::string> registered;
  for (const auto& [path, methods] : api.routes().entries()) {
    registered.insert(path);
    ASSERT_TRUE(paths.contains(path)) << path << " is not in docs/openapi.json";
    std::set<std::string> documented;
    for (const auto& [method, operation] : paths.at(path).items()) documented.insert(method);
    std::set<std::string> served;
    for (const std::string& m : methods)
      if (m != "HEAD") served.insert(lower(m));  // HEAD comes with every GET
    EXPECT_EQ(documented, served) << path;
  }
  for (const auto& [path, item] : paths.items()) {
    if (kWebSocketPaths.count(path)) {
      EXPECT_FALSE(registered.count(path));
      EXPECT_TRUE(item.contains("get")) << path;
      continue;
    }
    EXPECT_TRUE(registered.count(path)) << path << " is documented but not served";
  }
}

// Every operation says what it answers, and every $ref points at something.
TEST(OpenApi, ReferencesResolve) {
  const json doc = json::parse(openapi_json());
  std::size_t refs = 0;
  const auto check = [&](const auto& self, const json& node) -> void {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end()) {
        ++refs;
        const std::string ref = it->get<std::string>();
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
        EXPECT_NO_THROW((void)doc.at(json::json_pointer(ref.substr(1)))) << ref;
      }
      for (const auto& [k, v] : node.items()) self(self, v);
    } else if (node.is_array()) {
      for (const auto& v : node) self(self, v);
    }
  };
  check(check, doc);
  EXPECT_GT(refs, 50u);
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [method, operation] : item.items())
      EXPECT_FALSE(operation.at("responses").empty()) << method << " " << path;
}

}  // namespace
}  // namespace lector::api
