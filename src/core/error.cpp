#include "core/error.h"

namespace lector {

Error bad_parameter(const std::string& param, const std::string& problem) {
  return Error(ErrorCode::kBadParameter, "parameter '" + param + "': " + problem, param);
}

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kBadParameter:
      return "bad_parameter";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kBadMethod:
      return "bad_method";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kOverloaded:
      return "overloaded";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kEngineFailed:
      return "engine_failed";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace lector
