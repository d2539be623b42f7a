#include "api/dto.h"

#include "api/error_body.h"
#include "core/error.h"

namespace lector::api {

using json = nlohmann::json;

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response json_response(const json& j, int status) {
  Response r;
  r.status = status;
  r.body = dump_json(j);
  return r;
}

ParamLookup json_params(const json& object) {
  return [&object](const char* name) -> std::optional<std::string> {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    throw bad_parameter(name, "must be a string, a number or a boolean");
  };
}

json voice_json(const sched::EngineInfo& e, const VoiceInfo& v) {
  return {{"id", e.name + ":" + v.name},
          {"engine", e.name},
          {"name", v.name},
          {"display_name", v.display_name},
          {"languages", json::array({v.language})},
          {"gender", to_string(v.gender)},
          {"sample_rate", e.rate_of(v)},
          {"word_timings", e.caps.word_timings}};
}

json engine_json(const std::string& name, const sched::EngineInfo* info,
                 const sched::SchedulerStats& stats, const std::string& unavailable) {
  std::size_t live = 0, total = 0, slots = 0, busy = 0;
  for (const auto& w : stats.workers) {
    if (w.engine != name) continue;
    ++total;
    if (!w.live()) continue;
    ++live;
    slots += w.capacity;
    busy += w.busy;
  }
  json e = {{"name", name},
            {"available", info != nullptr},
            {"status", info != nullptr        ? "available"
                       : !unavailable.empty() ? "unavailable"
                                              : "not_started"},
            {"workers", total},
            {"workers_live", live},
            {"slots", slots},
            {"slots_busy", busy}};
  if (info) {
    e["voices"] = info->voices.size();
    e["sample_rate"] = info->sample_rate;
    e["variants"] = info->variants;
    e["parallel_jobs"] = info->caps.parallel_jobs;
  } else if (!unavailable.empty()) {
    e["reason"] = unavailable;
    e["error"] = "engine '" + name + "' is unavailable: " + unavailable;
  } else {
    e["error"] = "no worker of this engine started; see the server log";
  }
  return e;
}

json stats_json(const sched::SchedulerStats& s) {
  json workers = json::array();
  std::size_t slots = 0, busy = 0;
  for (const auto& w : s.workers) {
    json one = {{"engine", w.engine},     {"pid", w.pid},
                {"state", w.state},       {"segments_done", w.segments_done},
                {"capacity", w.capacity}, {"busy", w.busy}};
    if (!w.unavailable.empty()) one["reason"] = w.unavailable;
    workers.push_back(std::move(one));
    if (w.live()) {
      slots += w.capacity;
      busy += w.busy;
    }
  }
  return {{"workers", workers},
          {"slots", slots},
          {"slots_busy", busy},
          {"requests_active", s.requests_active},
          {"requests_held", s.requests_held},
          {"segments_queued", s.segments_queued},
          {"requests_total", s.requests_total},
          {"requests_completed", s.requests_completed},
          {"requests_rejected", s.requests_rejected},
          {"requests_cancelled", s.requests_cancelled},
          {"requests_failed", s.requests_failed},
          {"segments_done", s.segments_done},
          {"segments_retried", s.segments_retried},
          {"worker_restarts", s.worker_restarts},
          {"cache",
           {{"hits", s.cache_hits},
            {"misses", s.cache_misses},
            {"bytes", s.cache_bytes},
            {"entries", s.cache_entries}}}};
}

std::string error_message_of(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto it = j.find("error");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return std::string(body);
}

json openai_error_json(ErrorCode code, const std::string& message, std::string_view param) {
  const ErrorSpec& spec = error_spec(code);
  const char* type = spec.http_status == 429   ? "rate_limit_error"
                     : spec.http_status >= 500 ? "server_error"
                                               : "invalid_request_error";
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(std::string(param))},
            {"code", std::string(spec.ws_code)}}}};
}

}  // namespace lector::api
