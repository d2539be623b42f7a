#include "core/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace lector {
namespace {

struct Expected {
  ErrorCode code;
  int status;
  std::string ws_code;
  int close;
  bool retry_after;
};

// The documented table (README: HTTP statuses, /v1/stream codes, WebSocket close codes).
const Expected kExpected[] = {
    {ErrorCode::kBadParameter, 400, "bad_parameter", 1008, false},
    {ErrorCode::kMalformed, 400, "malformed", 1008, false},
    {ErrorCode::kBadEncoding, 400, "bad_encoding", 1007, false},
    {ErrorCode::kNotFound, 404, "not_found", 1008, false},
    {ErrorCode::kBadMethod, 405, "bad_method", 1008, false},
    {ErrorCode::kBadRange, 416, "range_not_satisfiable", 1008, false},
    {ErrorCode::kTooLarge, 413, "too_large", 1009, false},
    {ErrorCode::kHeadersTooLarge, 431, "headers_too_large", 1009, false},
    {ErrorCode::kUnauthorized, 401, "invalid_api_key", 1008, false},
    {ErrorCode::kForbidden, 403, "forbidden", 1008, false},
    {ErrorCode::kRateLimited, 429, "rate_limit_exceeded", 1008, true},
    {ErrorCode::kQuotaExceeded, 429, "insufficient_quota", 1008, true},
    {ErrorCode::kOverloaded, 503, "overloaded", 1013, true},
    {ErrorCode::kUnavailable, 503, "unavailable", 1013, true},
    {ErrorCode::kShuttingDown, 503, "shutting_down", 1001, true},
    {ErrorCode::kEngineFailed, 500, "synthesis_failed", 1011, false},
    {ErrorCode::kInternal, 500, "internal", 1011, false},
};

TEST(ErrorTable, EveryCodeHasItsRow) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.ws_code);
    const ErrorSpec& spec = error_spec(e.code);
    EXPECT_EQ(spec.http_status, e.status);
    EXPECT_EQ(spec.ws_code, e.ws_code);
    EXPECT_EQ(spec.ws_close, e.close);
    EXPECT_EQ(spec.retry_after, e.retry_after);
    EXPECT_EQ(to_string(e.code), e.ws_code);
  }
  EXPECT_EQ(std::size(kExpected), static_cast<std::size_t>(ErrorCode::kInternal) + 1);
}

TEST(ErrorTable, CodesAreDistinct) {
  std::set<std::string_view> names;
  for (const Expected& e : kExpected) names.insert(error_spec(e.code).ws_code);
  EXPECT_EQ(names.size(), std::size(kExpected));
}

TEST(ErrorTable, BadParameterNamesTheParameter) {
  const Error e = bad_parameter("speed", "not a number: 'x'");
  EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
  EXPECT_EQ(e.param(), "speed");
  EXPECT_STREQ(e.what(), "parameter 'speed': not a number: 'x'");
}

}  // namespace
}  // namespace lector
