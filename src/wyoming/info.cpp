#include "wyoming/info.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "api/params.h"
#include "core/error.h"

namespace lector::wyoming {
namespace {

using json = nlohmann::json;

json attribution(const std::string& name, const ProgramInfo& program) {
  return {{"name", name}, {"url", program.url}};
}

// "en_US" and "EN-us" both as "en-us".
std::string normalize_tag(std::string_view tag) {
  std::string out;
  out.reserve(tag.size());
  for (char c : tag)
    out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string primary(const std::string& tag) {
  return tag.substr(0, tag.find('-'));
}

// How well a voice's language answers a requested one: 0 the same tag, 1 the voice's is a
// longer form of it ("en" -> "en-us"), 2 the same primary language ("en-gb" -> "en-us").
std::optional<int> language_rank(const std::string& wanted, const std::string& voice) {
  if (voice.empty()) return std::nullopt;
  if (voice == wanted) return 0;
  if (voice.size() > wanted.size() && voice.compare(0, wanted.size(), wanted) == 0 &&
      voice[wanted.size()] == '-')
    return 1;
  if (primary(voice) == primary(wanted)) return 2;
  return std::nullopt;
}

std::optional<std::string> string_field(const json& voice, const char* name) {
  auto it = voice.find(name);
  if (it == voice.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw bad_parameter(std::string("voice.") + name, "not a string");
  return it->get<std::string>();
}

}  // namespace

json info_data(const sched::Catalog& catalog, const ProgramInfo& program) {
  json voices = json::array();
  std::string engine_names;
  for (const sched::EngineInfo* engine : catalog.engines()) {
    engine_names += (engine_names.empty() ? "" : ", ") + engine->name;
    for (const VoiceInfo& v : engine->voices) {
      json languages = json::array();
      if (!v.language.empty()) languages.push_back(v.language);
      const std::string shown = v.display_name.empty() ? v.name : v.display_name;
      voices.push_back({{"name", engine->name + ":" + v.name},
                        {"attribution", attribution(engine->name, program)},
                        {"installed", true},
                        {"description", shown + " (" + engine->name + ")"},
                        {"version", program.version},
                        {"languages", std::move(languages)},
                        {"speakers", nullptr}});
    }
  }
  json tts = {{"name", "lector"},
              {"attribution", attribution("Lector", program)},
              {"installed", true},
              {"description", "Lector real-time text to speech (" + engine_names + ")"},
              {"version", program.version},
              {"voices", std::move(voices)},
              {"supports_synthesize_streaming", true}};
  return {{"asr", json::array()},    {"tts", json::array({std::move(tts)})},
          {"handle", json::array()}, {"intent", json::array()},
          {"wake", json::array()},   {"mic", json::array()},
          {"snd", json::array()}};
}

sched::SynthesisRequest choose_voice(api::Api& api, const json& voice) {
  if (!voice.is_null() && !voice.is_object()) throw bad_parameter("voice", "not a JSON object");
  const std::optional<std::string> name =
      voice.is_null() ? std::nullopt : string_field(voice, "name");
  const std::optional<std::string> language =
      voice.is_null() ? std::nullopt : string_field(voice, "language");
  if (voice.is_object()) string_field(voice, "speaker");  // type-checked, then ignored

  if (name && !name->empty()) {
    return api.resolve([&](const char* param) -> std::optional<std::string> {
      if (std::string_view(param) == "voice") return *name;
      return std::nullopt;
    });
  }
  sched::SynthesisRequest fallback = api.resolve([](const char*) { return std::nullopt; });
  if (!language || language->empty()) return fallback;

  const std::string wanted = normalize_tag(*language);
  const auto catalog = api.scheduler().catalog();
  std::vector<const sched::EngineInfo*> engines = catalog->engines();
  // The default engine's voices first.
  std::stable_partition(engines.begin(), engines.end(),
                        [&](const sched::EngineInfo* e) { return e->name == fallback.engine; });
  const VoiceInfo* best = nullptr;
  const sched::EngineInfo* best_engine = nullptr;
  int best_rank = 3;
  for (const sched::EngineInfo* e : engines) {
    for (const VoiceInfo& v : e->voices) {
      const auto rank = language_rank(wanted, normalize_tag(v.language));
      if (rank && *rank < best_rank) {
        best_rank = *rank;
        best = &v;
        best_engine = e;
      }
    }
  }
  if (best == nullptr)
    throw bad_parameter("voice", "no voice speaks language " + api::quote(*language));
  fallback.engine = best_engine->name;
  fallback.voice = best->name;
  return fallback;
}

}  // namespace lector::wyoming
