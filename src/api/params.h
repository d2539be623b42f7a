#pragma once
// Request parameters: server-wide defaults, and the validation of engine, voice, speed, pitch,
// volume and text. Errors are lector::Error(kBadParameter) naming the parameter.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "sched/scheduler.h"

namespace lector::api {

// The default engine and, per engine, the default voice; changed by /set_engine and
// /setvoice. Thread-safe: any thread may call any method. Refers to the scheduler's catalog,
// which must outlive it.
class Defaults {
 public:
  Defaults(const sched::Scheduler& scheduler, const std::string& engine, const std::string& voice);
  std::string engine() const;
  // The default voice of `engine`; empty when it has none.
  std::string voice(const std::string& engine) const;
  // Throw bad_parameter(param, ...) when unknown.
  void set_engine(const std::string& engine, const char* param);
  void set_voice(const std::string& voice, const char* param);  // of the default engine

 private:
  const sched::Scheduler& scheduler_;
  mutable std::mutex mu_;
  std::string engine_;
  std::map<std::string, std::string> voice_;  // per engine
};

// A user-supplied value for an error message: quoted, cut short.
std::string quote(std::string_view s);

// Query parameter `name`, present and non-empty.
std::string required_param(const HttpRequest& request, const char* name);

// Parameter `name` as a finite number in [lo, hi]; 1.0 when absent.
double number_param(const ParamLookup& params, const char* name, double lo, double hi);

// `sentence_silence` (seconds after each sentence, 0 to 10) as milliseconds; `fallback`
// (the server's --sentence-silence) when absent.
int sentence_silence_param(const ParamLookup& params, double fallback);

// A yes/no parameter: 1, true, yes, on / 0, false, no, off; `fallback` when absent.
bool bool_param(const ParamLookup& params, const char* name, bool fallback);

// Validates and cleans user text: UTF-8, at most `max_chars` code points, control characters
// removed, not empty.
std::string clean_text(std::string_view raw, std::size_t max_chars, const char* param);

// Engine, voice and audio parameters of a synthesis (everything but the text).
sched::SynthesisRequest resolve_request(const sched::Scheduler& scheduler, const Defaults& defaults,
                                        const ParamLookup& params);

// The language of a resolved request's voice (for segmentation); empty when unknown.
std::string language_of(const sched::Scheduler& scheduler, const sched::SynthesisRequest& request);

}  // namespace lector::api
