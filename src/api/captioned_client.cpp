#include "api/captioned_client.h"

#include <cstdlib>
#include <stdexcept>

#include "api/base64.h"
#include "api/dto.h"

namespace lector::api {

using json = nlohmann::json;

std::string captioned_request_json(const CaptionedRequest& r) {
  json body = {{"input", r.input}};
  if (!r.engine.empty()) body["model"] = r.engine;
  if (!r.voice.empty()) body["voice"] = r.voice;
  if (!r.format.empty()) body["response_format"] = r.format;
  const auto number = [&body](const char* name, const std::string& v) {
    if (v.empty()) return;
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0')
      throw std::invalid_argument(std::string(name) + " is not a number: " + v);
    body[name] = d;
  };
  number("speed", r.speed);
  number("pitch", r.pitch);
  number("volume", r.volume);
  number("sample_rate", r.sample_rate);
  return body.dump();
}

std::optional<CaptionedAnswer> parse_captioned_answer(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto audio = j.find("audio");
  const auto timestamps = j.find("timestamps");
  if (audio == j.end() || !audio->is_string() || timestamps == j.end() || !timestamps->is_array())
    return std::nullopt;
  std::optional<std::string> bytes = unbase64(audio->get<std::string>());
  if (!bytes) return std::nullopt;
  CaptionedAnswer out;
  out.audio = std::move(*bytes);
  for (const json& t : *timestamps) {
    if (!t.is_object() || !t.value("word", json()).is_string() ||
        !t.value("start_time", json()).is_number() || !t.value("end_time", json()).is_number())
      return std::nullopt;
    TimedWord w;
    w.word = t["word"].get<std::string>();
    w.start_seconds = t["start_time"].get<double>();
    w.end_seconds = t["end_time"].get<double>();
    out.words.push_back(std::move(w));
  }
  return out;
}

}  // namespace lector::api
