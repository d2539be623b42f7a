// What an orchestrator asks: GET /livez (the process serves), GET /readyz (send it traffic:
// every configured engine has a live worker and the server is not draining) and GET /metrics
// (Prometheus's text format, server_metrics.h). /health keeps the seed's meaning (the default
// engine has a live worker).

#include <map>

#include "api/dto.h"
#include "api/routes.h"

namespace lector::api {

void add_ops_routes(RouteTable& routes, Api& api) {
  routes.add("/livez", {"GET"}, [](const HttpRequest&) {
    // Answering at all is the proof: the network threads run and the route table works.
    return json_response({{"status", "ok"}});
  });

  routes.add("/readyz", {"GET"}, [&api](const HttpRequest&) {
    if (api.draining())
      return json_response({{"status", "draining"}, {"error", "server is shutting down"}}, 503);
    const sched::SchedulerStats stats = api.scheduler().stats();
    // An engine that said it cannot serve (a neural engine without its runtime) stays so until
    // the operator acts: it is reported, but it does not hold the server's other engines back.
    const std::map<std::string, std::string> unavailable = api.scheduler().unavailable_engines();
    std::map<std::string, int> live;
    for (const std::string& engine : api.scheduler().configured_engines())
      if (unavailable.count(engine) == 0) live[engine] = 0;
    for (const sched::WorkerStatus& w : stats.workers)
      if (w.live() && live.count(w.engine) != 0) ++live[w.engine];
    nlohmann::json engines = nlohmann::json::object();
    std::vector<std::string> missing;
    for (const auto& [engine, n] : live) {
      engines[engine] = n;
      if (n == 0) missing.push_back(engine);
    }
    nlohmann::json off = nlohmann::json::object();
    for (const auto& [engine, reason] : unavailable) off[engine] = reason;
    if (missing.empty())
      return json_response({{"status", "ready"}, {"engines", engines}, {"unavailable", off}});
    std::string list;
    for (const std::string& e : missing) list += (list.empty() ? "'" : ", '") + e + "'";
    return json_response({{"status", "not_ready"},
                          {"engines", engines},
                          {"not_ready", missing},
                          {"unavailable", off},
                          {"error", "no live worker for engine " + list}},
                         503);
  });

  routes.add("/metrics", {"GET"}, [&api](const HttpRequest&) {
    Response r;
    r.content_type = std::string(obs::kMetricsContentType);
    r.body = api.metrics().render(api.scheduler().stats(), api.draining());
    return r;
  });
}

}  // namespace lector::api
