#pragma once
// One error type for the whole server. Modules throw lector::Error with a code; the api layer
// maps the code to an HTTP status and a JSON body in exactly one place (api/routes.cpp).

#include <stdexcept>
#include <string>

namespace lector {

enum class ErrorCode {
  kBadParameter,  // a request parameter is missing, malformed or out of range -> 400
  kNotFound,      // unknown route -> 404
  kBadMethod,     // route exists, method does not -> 405
  kTooLarge,      // body or text over its cap -> 413
  kOverloaded,    // admission queue full -> 503 + Retry-After
  kUnavailable,   // engine has no live worker -> 503
  kEngineFailed,  // synthesis failed after retry -> 500
  kInternal,      // a bug -> 500
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string param = {})
      : std::runtime_error(std::move(message)), code_(code), param_(std::move(param)) {}
  ErrorCode code() const noexcept { return code_; }
  // Name of the offending request parameter, empty when the error is not about one.
  const std::string& param() const noexcept { return param_; }

 private:
  ErrorCode code_;
  std::string param_;
};

// "parameter 'voice': unknown voice 'xx'"-style helper used by every validator.
Error bad_parameter(const std::string& param, const std::string& problem);

const char* to_string(ErrorCode code) noexcept;

}  // namespace lector
