#include "api/params.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "text/utf8.h"

namespace lector::api {

Defaults::Defaults(const sched::Scheduler& scheduler, const std::string& engine,
                   const std::string& voice)
    : scheduler_(scheduler), engine_(engine) {
  for (const auto& e : scheduler_.engines()) {
    if (e.voices.empty()) continue;
    // The configured default voice for the default engine; "en-us" or the first voice elsewhere.
    std::string v = e.name == engine_ ? voice : "en-us";
    if (e.find_voice(v) == nullptr) v = e.voices.front().name;
    voice_[e.name] = v;
  }
}

std::string Defaults::engine() const {
  std::lock_guard lock(mu_);
  return engine_;
}

std::string Defaults::voice(const std::string& engine) const {
  {
    std::lock_guard lock(mu_);
    auto it = voice_.find(engine);
    if (it != voice_.end()) return it->second;
  }
  // An engine whose first worker said hello after start-up: "en-us", else its first voice.
  const sched::EngineInfo* info = scheduler_.engine(engine);
  if (info == nullptr || info->voices.empty()) return std::string();
  return info->find_voice("en-us") != nullptr ? "en-us" : info->voices.front().name;
}

void Defaults::set_engine(const std::string& engine, const char* param) {
  if (!scheduler_.engine(engine)) throw bad_parameter(param, "unknown engine " + quote(engine));
  std::lock_guard lock(mu_);
  engine_ = engine;
}

void Defaults::set_voice(const std::string& voice, const char* param) {
  std::lock_guard lock(mu_);
  const sched::EngineInfo* info = scheduler_.engine(engine_);
  if (!info || info->find_voice(voice) == nullptr)
    throw bad_parameter(param, "unknown voice " + quote(voice) + " for engine '" + engine_ + "'");
  voice_[engine_] = voice;
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

std::string required_param(const HttpRequest& request, const char* name) {
  auto v = request.param(name);
  if (!v) throw bad_parameter(name, "missing");
  if (v->empty()) throw bad_parameter(name, "empty");
  return *v;
}

double number_param(const ParamLookup& params, const char* name, double lo, double hi) {
  auto v = params(name);
  if (!v) return 1.0;
  double d = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, d);
  if (v->empty() || ec != std::errc() || ptr != end || !std::isfinite(d))
    throw bad_parameter(name, "not a number: " + quote(*v));
  if (d < lo || d > hi) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%g is out of range [%g, %g]", d, lo, hi);
    throw bad_parameter(name, buf);
  }
  return d;
}

int sentence_silence_param(const ParamLookup& params, double fallback) {
  const double seconds =
      params("sentence_silence") ? number_param(params, "sentence_silence", 0.0, 10.0) : fallback;
  return static_cast<int>(std::lround(seconds * 1000));
}

bool bool_param(const ParamLookup& params, const char* name, bool fallback) {
  const std::optional<std::string> v = params(name);
  if (!v) return fallback;
  if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") return true;
  if (*v == "0" || *v == "false" || *v == "no" || *v == "off" || v->empty()) return false;
  throw bad_parameter(name, "not a yes/no value: " + quote(*v) + "; use 1 or 0");
}

std::string clean_text(std::string_view raw, std::size_t max_chars, const char* param) {
  if (!text::is_valid_utf8(raw)) throw bad_parameter(param, "not valid UTF-8");
  const std::size_t chars = text::count_code_points(raw);
  if (chars > max_chars)
    throw bad_parameter(param, "too long: " + std::to_string(chars) + " characters, the limit is " +
                                   std::to_string(max_chars));
  std::string clean = text::normalize(raw);
  if (clean.empty()) throw bad_parameter(param, "empty");
  return clean;
}

sched::SynthesisRequest resolve_request(const sched::Scheduler& scheduler, const Defaults& defaults,
                                        const ParamLookup& params) {
  sched::SynthesisRequest req;
  const std::optional<std::string> engine_param = params("engine");
  std::optional<std::string> voice_param = params("voice");
  // A voice id "engine:name" names its engine, so no engine parameter is needed.
  std::optional<std::string> engine_of_voice;
  // A remote engine's voices may themselves be ids ("espeak:en-us" of an upstream Lector):
  // with the engine named, a voice it has is taken whole.
  const sched::EngineInfo* named = engine_param ? scheduler.engine(*engine_param) : nullptr;
  const bool whole = voice_param && named != nullptr && named->find_voice(*voice_param) != nullptr;
  if (voice_param && !whole) {
    const std::size_t colon = voice_param->find(':');
    if (colon != std::string::npos && scheduler.engine(voice_param->substr(0, colon))) {
      engine_of_voice = voice_param->substr(0, colon);
      voice_param = voice_param->substr(colon + 1);
    } else if (colon != std::string::npos && !engine_param) {
      const std::string reason = scheduler.unavailable_reason(voice_param->substr(0, colon));
      if (!reason.empty())
        throw bad_parameter("voice", "voice " + quote(*voice_param) + " is of engine '" +
                                         voice_param->substr(0, colon) +
                                         "', which is unavailable: " + reason);
    }
  }
  if (engine_param && engine_of_voice && *engine_param != *engine_of_voice)
    throw bad_parameter("voice", "voice id names engine '" + *engine_of_voice +
                                     "' but parameter 'engine' is '" + *engine_param + "'");
  req.engine = engine_param      ? *engine_param
               : engine_of_voice ? *engine_of_voice
                                 : defaults.engine();
  const sched::EngineInfo* info = scheduler.engine(req.engine);
  if (!info) {
    const std::string reason = scheduler.unavailable_reason(req.engine);
    throw bad_parameter("engine", "unknown engine " + quote(req.engine) +
                                      (reason.empty() ? "" : " (unavailable: " + reason + ")"));
  }
  req.voice = voice_param ? *voice_param : defaults.voice(req.engine);
  // "en-us+f3" in a query string arrives as "en-us f3" when the client did not escape '+'.
  if (info->find_voice(req.voice) == nullptr && req.voice.find('+') == std::string::npos) {
    std::string plus = req.voice;
    if (const std::size_t sp = plus.find(' '); sp != std::string::npos) {
      plus[sp] = '+';
      if (info->find_voice(plus) != nullptr) req.voice = plus;
    }
  }
  if (info->find_voice(req.voice) == nullptr)
    throw bad_parameter("voice",
                        "unknown voice " + quote(req.voice) + " for engine '" + req.engine + "'");
  req.params.speed = number_param(params, "speed", 0.25, 4.0);
  req.params.pitch = number_param(params, "pitch", 0.5, 2.0);
  req.params.volume = number_param(params, "volume", 0.0, 2.0);
  return req;
}

std::string language_of(const sched::Scheduler& scheduler, const sched::SynthesisRequest& request) {
  const sched::EngineInfo* info = scheduler.engine(request.engine);
  const VoiceInfo* v = info ? info->find_voice(request.voice) : nullptr;
  return v != nullptr ? v->language : std::string();
}

}  // namespace lector::api
