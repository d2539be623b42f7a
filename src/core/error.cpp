#include "core/error.h"

#include <array>

namespace lector {
namespace {

struct Row {
  ErrorCode code;
  ErrorSpec spec;
};

// The one table. Rows are in enum order (checked below), so lookup is an index.
// "synthesis_failed" is the documented /v1/stream code for a failed utterance (README).
constexpr std::array kTable = {
    Row{ErrorCode::kBadParameter, {400, "bad_parameter", 1008, false}},
    Row{ErrorCode::kMalformed, {400, "malformed", 1008, false}},
    Row{ErrorCode::kBadEncoding, {400, "bad_encoding", 1007, false}},
    Row{ErrorCode::kNotFound, {404, "not_found", 1008, false}},
    Row{ErrorCode::kBadMethod, {405, "bad_method", 1008, false}},
    Row{ErrorCode::kBadRange, {416, "range_not_satisfiable", 1008, false}},
    Row{ErrorCode::kTooLarge, {413, "too_large", 1009, false}},
    Row{ErrorCode::kHeadersTooLarge, {431, "headers_too_large", 1009, false}},
    Row{ErrorCode::kUnauthorized, {401, "invalid_api_key", 1008, false}},
    Row{ErrorCode::kForbidden, {403, "forbidden", 1008, false}},
    Row{ErrorCode::kRateLimited, {429, "rate_limit_exceeded", 1008, true}},
    Row{ErrorCode::kQuotaExceeded, {429, "insufficient_quota", 1008, true}},
    Row{ErrorCode::kOverloaded, {503, "overloaded", 1013, true}},
    Row{ErrorCode::kUnavailable, {503, "unavailable", 1013, true}},
    // 1001 "going away": the WebSocket close code for a server that shuts down.
    Row{ErrorCode::kShuttingDown, {503, "shutting_down", 1001, true}},
    Row{ErrorCode::kEngineFailed, {500, "synthesis_failed", 1011, false}},
    Row{ErrorCode::kInternal, {500, "internal", 1011, false}},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].code) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kTable rows must follow the order of ErrorCode");
static_assert(kTable.size() == static_cast<std::size_t>(ErrorCode::kInternal) + 1,
              "every ErrorCode needs a row");

}  // namespace

const ErrorSpec& error_spec(ErrorCode code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < kTable.size() ? kTable[i].spec : kTable.back().spec;
}

Error bad_parameter(const std::string& param, const std::string& problem) {
  return Error(ErrorCode::kBadParameter, "parameter '" + param + "': " + problem, param);
}

const char* to_string(ErrorCode code) noexcept {
  // Every ws_code is a string literal, so data() is NUL-terminated.
  return error_spec(code).ws_code.data();
}

}  // namespace lector
