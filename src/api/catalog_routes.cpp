// The seed's routes and the catalog: engines, voices, server-wide defaults, health
// and statistics. Handlers run on network threads, any number at once.

#include <cctype>
#include <map>

#include "api/dto.h"
#include "api/routes.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// "en" matches "en-US" and "en-GB"; "en-us" matches "en-US" only. Case-insensitive, by subtag.
bool language_matches(std::string_view voice_language, std::string_view wanted) {
  if (wanted.size() > voice_language.size()) return false;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(voice_language[i])));
    const char b = static_cast<char>(
        std::tolower(static_cast<unsigned char>(wanted[i] == '_' ? '-' : wanted[i])));
    if (a != b) return false;
  }
  return wanted.size() == voice_language.size() || voice_language[wanted.size()] == '-';
}

// GET /voices lists the names of one engine's voices; GET /api/voices lists every engine's
// voices with their metadata. Both take the same filters.
Response voices(const HttpRequest& request, bool detail, const sched::Scheduler& scheduler,
                const Defaults& defaults) {
  detail = detail || request.param("detail").value_or("0") != "0";
  std::vector<const sched::EngineInfo*> engines;
  std::vector<sched::EngineInfo> all;
  if (auto e = request.param("engine")) {
    const sched::EngineInfo* info = scheduler.engine(*e);
    if (!info) throw bad_parameter("engine", "unknown engine " + quote(*e));
    engines.push_back(info);
  } else if (detail) {
    all = scheduler.engines();
    for (const auto& info : all) engines.push_back(&info);
  } else if (const sched::EngineInfo* info = scheduler.engine(defaults.engine())) {
    engines.push_back(info);
  }
  const std::optional<std::string> language = request.param("language");
  const std::optional<std::string> gender = request.param("gender");
  if (gender && *gender != "male" && *gender != "female" && *gender != "unknown")
    throw bad_parameter("gender", "must be male, female or unknown, not " + quote(*gender));
  json out = json::array();
  for (const sched::EngineInfo* e : engines) {
    for (const VoiceInfo& v : e->voices) {
      if (language && !language_matches(v.language, *language)) continue;
      if (gender && *gender != to_string(v.gender)) continue;
      if (detail) {
        out.push_back(voice_json(*e, v));
      } else {
        out.push_back(v.name);
      }
    }
  }
  return json_response(out);
}

}  // namespace

void add_catalog_routes(RouteTable& routes, const sched::Scheduler& scheduler, Defaults& defaults) {
  routes.add("/engines", {"GET"}, [&scheduler](const HttpRequest&) {
    json names = json::array();
    for (const auto& e : scheduler.engines()) names.push_back(e.name);
    return json_response(names);
  });

  routes.add("/voices", {"GET"}, [&](const HttpRequest& request) {
    return voices(request, false, scheduler, defaults);
  });
  routes.add("/api/voices", {"GET"}, [&](const HttpRequest& request) {
    return voices(request, true, scheduler, defaults);
  });

  routes.add("/api/engines", {"GET"}, [&scheduler](const HttpRequest&) {
    const sched::SchedulerStats stats = scheduler.stats();
    const std::map<std::string, std::string> unavailable = scheduler.unavailable_engines();
    json out = json::array();
    for (const std::string& name : scheduler.configured_engines()) {
      const auto it = unavailable.find(name);
      out.push_back(engine_json(name, scheduler.engine(name), stats,
                                it != unavailable.end() ? it->second : std::string()));
    }
    return json_response(out);
  });

  routes.add("/set_engine", {"GET"}, [&defaults](const HttpRequest& request) {
    const std::string engine = required_param(request, "engine_name");
    defaults.set_engine(engine, "engine_name");
    return json_response({{"message", "Switched to " + engine + " engine"}});
  });

  routes.add("/setvoice", {"GET"}, [&defaults](const HttpRequest& request) {
    const std::string voice = required_param(request, "voice_name");
    defaults.set_voice(voice, "voice_name");
    return json_response({{"message", "Voice set to " + voice}});
  });

  routes.add("/health", {"GET"}, [&](const HttpRequest&) {
    const std::string engine = defaults.engine();
    if (!scheduler.ready(engine))
      return json_response(
          {{"status", "unavailable"}, {"error", "engine '" + engine + "' has no live worker"}},
          503);
    return json_response({{"status", "ok"}});
  });

  routes.add("/status", {"GET"}, [&scheduler](const HttpRequest&) {
    return json_response(stats_json(scheduler.stats()));
  });
}

}  // namespace lector::api
