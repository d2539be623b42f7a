#pragma once
// JSON in and out of the api (nlohmann-json stays in api/): rendering of voices, engines and
// scheduler statistics, JSON parameter lookup, and JSON responses. Pure functions.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "sched/scheduler.h"

namespace lector::api {

// Request text may be any bytes; JSON output must stay valid UTF-8, so invalid sequences in
// echoed values are replaced rather than thrown on.
std::string dump_json(const nlohmann::json& j);

Response json_response(const nlohmann::json& j, int status = 200);

// Request parameters from the fields of a JSON object (POST /tts, /v1/stream config): strings
// as they are, numbers and booleans as their JSON text, null as absent; anything else names
// the field. The
// lookup refers to `object`, which must outlive it.
ParamLookup json_params(const nlohmann::json& object);

// One voice of /api/voices (and /voices?detail=1).
nlohmann::json voice_json(const sched::EngineInfo& engine, const VoiceInfo& voice);

// One engine of /api/engines; `info` is null for an engine none of whose workers started, or
// whose workers said it cannot serve (`unavailable` is then their reason).
nlohmann::json engine_json(const std::string& name, const sched::EngineInfo* info,
                           const sched::SchedulerStats& stats, const std::string& unavailable = {});

// OpenAI's error shape: {"error": {"message", "type", "param", "code"}}; `param` null when
// empty.
nlohmann::json openai_error_json(ErrorCode code, const std::string& message,
                                 std::string_view param);

// GET /status.
nlohmann::json stats_json(const sched::SchedulerStats& s);

}  // namespace lector::api
