#include "obs/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

namespace lector::obs {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// Marks a payload that is already the inside of a JSON object (from render_fields), so the
// JSON formatter splices it in instead of quoting it as a message.
constexpr char kFieldsMarker = '\x1e';

// {"time":"2026-11-29T10:00:00.123Z","level":"info","msg":"..."} per line, in UTC.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto t = msg.time.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    const std::time_t tt = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char time[96];
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    const auto level_name = spdlog::level::to_string_view(msg.level);
    const std::string_view level(level_name.data(), level_name.size());
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string line = std::string("{\"time\":\"") + time + "\",\"level\":" + json_string(level);
    if (!payload.empty() && payload.front() == kFieldsMarker) {
      line.append(payload.substr(1));
    } else {
      line += ",\"msg\":" + json_string(payload);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

std::string number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void init_logging(std::string_view level, std::string_view format) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level '" + std::string(level) + "'");
  if (format != "text" && format != "json")
    throw std::invalid_argument("unknown log format '" + std::string(format) + "' (text or json)");
  g_format = format == "json" ? LogFormat::kJson : LogFormat::kText;
  auto logger = spdlog::stderr_color_mt("lector");
  if (g_format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

LogFormat log_format() {
  return g_format.load();
}

std::string render_fields(LogFormat format, std::string_view message,
                          std::span<const LogField> fields) {
  std::string out;
  if (format == LogFormat::kJson) {
    out += kFieldsMarker;
    out += ",\"msg\":" + json_string(message);
    for (const LogField& f : fields) {
      out += ',' + json_string(f.name) + ':';
      if (const auto* s = std::get_if<std::string_view>(&f.value)) {
        out += json_string(*s);
      } else if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
        out += std::to_string(*i);
      } else {
        out += number(std::get<double>(f.value));
      }
    }
    return out;
  }
  out = message;
  for (const LogField& f : fields) {
    out += ' ';
    out += f.name;
    out += '=';
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      out += needs_quotes(*s) ? json_string(*s) : std::string(*s);
    } else if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
      out += std::to_string(*i);
    } else {
      out += number(std::get<double>(f.value));
    }
  }
  return out;
}

std::string render_fields(LogFormat format, std::string_view message,
                          std::initializer_list<LogField> fields) {
  return render_fields(format, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void log_fields(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  log_fields(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void log_fields(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  const auto l = level == LogLevel::kDebug ? spdlog::level::debug : spdlog::level::info;
  if (!spdlog::should_log(l)) return;
  spdlog::log(l, "{}", render_fields(g_format.load(), message, fields));
}

}  // namespace lector::obs
