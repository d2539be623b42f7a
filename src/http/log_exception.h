#pragma once
// The completion handler for every co_spawn in http/: nothing a coroutine throws is lost.
// Internal to http/; called on the coroutine's executor.

#include <exception>
#include <utility>

#include "obs/log.h"

namespace lector::http {

// Logs what the coroutine threw (if anything), naming it `what`, then runs `then`.
template <typename Then>
auto log_exception(const char* what, Then then) {
  return [what, then = std::move(then)](const std::exception_ptr& e) mutable {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        obs::log_error("{} failed: {}", what, x.what());
      } catch (...) {
        obs::log_error("{} failed with a non-standard exception", what);
      }
    }
    then(e != nullptr);
  };
}

}  // namespace lector::http
