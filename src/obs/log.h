#pragma once
// Logging through spdlog, to stderr, as text or as one JSON object per line (--log-format).
// Never log request text at info level, never log keys.
//
// Threading: init_logging() once at start, before other threads; everything else from any
// thread (spdlog's loggers are thread-safe).

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace lector::obs {

enum class LogFormat { kText, kJson };

// level: trace, debug, info, warn, error, off; format: text or json. Throws
// std::invalid_argument naming the bad value.
void init_logging(std::string_view level, std::string_view format = "text");
LogFormat log_format();

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

// A field of a structured line. Strings are quoted when needed (text) or JSON strings;
// numbers are written as numbers (doubles with three decimals).
struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, double>;
  std::string_view name;
  Value value;
};

enum class LogLevel { kDebug, kInfo };
// One structured line: "message k=v k=v ..." as text, or
// {"time", "level", "msg": message, k: v, ...} as JSON.
void log_fields(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);
// The same with fields decided at run time.
void log_fields(LogLevel level, std::string_view message, std::span<const LogField> fields);

// The pieces, for tests: one line's payload in either format.
std::string render_fields(LogFormat format, std::string_view message,
                          std::span<const LogField> fields);
std::string render_fields(LogFormat format, std::string_view message,
                          std::initializer_list<LogField> fields);
// `s` as a JSON string literal, quotes included (control characters escaped, other bytes
// passed through).
std::string json_string(std::string_view s);

}  // namespace lector::obs
