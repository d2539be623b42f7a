#pragma once
// JSON helpers shared by the api/ translation units.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/api.h"
#include "core/error.h"

namespace lector::api {

// Request text may be any bytes; JSON output must stay valid UTF-8, so invalid sequences in
// echoed values are replaced rather than thrown on.
inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Request parameters from the fields of a JSON object (POST /tts, /v1/stream config): strings
// as they are, numbers as their JSON text, null as absent; anything else names the field.
inline ParamLookup json_params(const nlohmann::json& object) {
  return [&object](const char* name) -> std::optional<std::string> {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    throw bad_parameter(name, "must be a string or a number");
  };
}

}  // namespace lector::api
