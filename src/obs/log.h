#pragma once
// Logging through spdlog, to stderr. Never log request text at info level, never log keys.

#include <spdlog/spdlog.h>

#include <string_view>

namespace lector::obs {

// level: trace, debug, info, warn, error, off. Throws std::invalid_argument on anything else.
void init_logging(std::string_view level);

template <typename... Args>
void log_info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void log_warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void log_error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void log_debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}

}  // namespace lector::obs
