#pragma once
// JSON helpers shared by the api/ translation units.

#include <nlohmann/json.hpp>
#include <string>

namespace lector::api {

// Request text may be any bytes; JSON output must stay valid UTF-8, so invalid sequences in
// echoed values are replaced rather than thrown on.
inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lector::api
