#pragma once
// One error type for the whole server, and the one table that says how each error code looks
// on every protocol. Modules throw lector::Error with a code; api/ and http/ render it through
// error_spec() and nowhere else.
//
// The error shape per protocol:
//   HTTP          status from the table, body {"error": "<message>"}, Retry-After when the
//                 table says so (405 also carries Allow).
//   /v1/stream    event {"type": "error", "code": "<ws_code>", "message": "<message>"}; the
//                 socket stays open.
//   /ws           {"error": "<message>"} (RealtimeTTS's shape); the socket stays open.
//   A WebSocket closed for an error uses the table's close code (1007 invalid UTF-8, 1009 too
//   big, 1008 policy, 1011 internal, 1013 try again later, 1001 shutting down); Beast itself
//   closes with 1007 and 1009 for frames it rejects.
//   401 also carries WWW-Authenticate: Bearer. The 401/403/429 codes are OpenAI's own
//   (invalid_api_key, rate_limit_exceeded, insufficient_quota), so OpenAI clients recognise them.
//
// Threading: everything here is immutable; any thread may call it.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lector {

enum class ErrorCode {
  kBadParameter,     // a request parameter is missing, malformed or out of range
  kMalformed,        // the request itself does not parse (HTTP syntax, percent-escape, JSON)
  kBadEncoding,      // text that must be UTF-8 is not
  kNotFound,         // unknown route
  kBadMethod,        // the route exists, the method does not
  kBadRange,         // a Range header starts at or past the end of the body (416)
  kTooLarge,         // body, message or text over its cap
  kHeadersTooLarge,  // request line and headers over their cap
  kUnauthorized,     // an API key is required and missing or wrong
  kForbidden,        // the key may not do this (admin routes), or the Origin is not allowed
  kRateLimited,      // the client's or the key's request rate is over its limit
  kQuotaExceeded,    // the key's daily audio seconds are used up
  kOverloaded,       // admission queue full
  kUnavailable,      // engine has no live worker
  kShuttingDown,     // the server drains before it exits: new synthesis goes elsewhere
  kEngineFailed,     // synthesis failed after retry
  kInternal,         // a bug
};

struct ErrorSpec {
  int http_status;
  std::string_view ws_code;  // "code" of a /v1/stream error event
  std::uint16_t ws_close;    // close code when a WebSocket closes because of this error
  bool retry_after;          // HTTP answers carry Retry-After: the client may simply retry
};

// The row of the table for `code`.
const ErrorSpec& error_spec(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string param = {})
      : std::runtime_error(message), code_(code), param_(std::move(param)) {}
  ErrorCode code() const noexcept { return code_; }
  // Name of the offending request parameter, empty when the error is not about one.
  const std::string& param() const noexcept { return param_; }
  // Seconds after which a retry can succeed (a rate limit's next token, a quota's next day);
  // 0: the server's default Retry-After for codes whose row asks for one.
  int retry_after() const noexcept { return retry_after_; }
  Error& with_retry_after(int seconds) noexcept {
    retry_after_ = seconds;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string param_;
  int retry_after_ = 0;
};

// "parameter 'voice': unknown voice 'xx'"-style helper used by every validator.
Error bad_parameter(const std::string& param, const std::string& problem);

// The code's name, as in /v1/stream error events (error_spec(code).ws_code).
const char* to_string(ErrorCode code) noexcept;

}  // namespace lector
