#include "api/openai_voices.h"

#include <algorithm>

namespace lector::api {
namespace {

struct NamedVoice {
  std::string_view name;
  Gender gender;
};

// Documented order; the gender is how each voice sounds, used to pick a similar voice.
constexpr NamedVoice kOpenAiVoices[] = {
    {"alloy", Gender::kFemale},   {"ash", Gender::kMale},   {"ballad", Gender::kMale},
    {"coral", Gender::kFemale},   {"echo", Gender::kMale},  {"fable", Gender::kMale},
    {"nova", Gender::kFemale},    {"onyx", Gender::kMale},  {"sage", Gender::kFemale},
    {"shimmer", Gender::kFemale}, {"verse", Gender::kMale}, {"marin", Gender::kFemale},
    {"cedar", Gender::kMale},
};

const NamedVoice* find_named(std::string_view name) {
  for (const NamedVoice& v : kOpenAiVoices)
    if (v.name == name) return &v;
  return nullptr;
}

// Position of `name` among the OpenAI voices of its gender.
std::size_t rank_in_gender(const NamedVoice& named) {
  std::size_t k = 0;
  for (const NamedVoice& v : kOpenAiVoices) {
    if (v.name == named.name) break;
    if (v.gender == named.gender) ++k;
  }
  return k;
}

bool is_english(const VoiceInfo& v) {
  return v.language.size() >= 2 && (v.language[0] == 'e' || v.language[0] == 'E') &&
         (v.language[1] == 'n' || v.language[1] == 'N') &&
         (v.language.size() == 2 || v.language[2] == '-');
}

}  // namespace

const std::vector<std::string_view>& openai_voice_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const NamedVoice& v : kOpenAiVoices) n.push_back(v.name);
    return n;
  }();
  return names;
}

const std::vector<std::string_view>& openai_model_names() {
  static const std::vector<std::string_view> names = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts",
                                                      "gpt-4o-tts"};
  return names;
}

bool is_openai_model(std::string_view model) {
  const auto& m = openai_model_names();
  return std::find(m.begin(), m.end(), model) != m.end();
}

std::optional<OpenAiVoiceOverride> parse_openai_voice(std::string_view spec) {
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const std::string_view name = spec.substr(0, eq);
  const std::string_view target = spec.substr(eq + 1);
  const std::size_t colon = target.find(':');
  if (find_named(name) == nullptr || colon == std::string_view::npos || colon == 0 ||
      colon + 1 == target.size())
    return std::nullopt;
  return OpenAiVoiceOverride{std::string(name), std::string(target.substr(0, colon)),
                             std::string(target.substr(colon + 1))};
}

std::string map_openai_voice(std::string_view name, const sched::EngineInfo& engine,
                             const std::vector<OpenAiVoiceOverride>& overrides,
                             const std::string& default_voice) {
  const NamedVoice* named = find_named(name);
  if (named == nullptr) return std::string();
  for (const OpenAiVoiceOverride& o : overrides)
    if (o.name == name && o.engine == engine.name) return o.voice;
  if (engine.find_voice(std::string(name)) != nullptr) return std::string(name);

  // English voices first (US English first among them), then everything else.
  std::vector<const VoiceInfo*> english;
  for (const VoiceInfo& v : engine.voices)
    if (is_english(v)) english.push_back(&v);
  std::stable_sort(english.begin(), english.end(), [](const VoiceInfo* a, const VoiceInfo* b) {
    return (a->language == "en-US") > (b->language == "en-US");
  });
  std::vector<const VoiceInfo*> same;
  for (const VoiceInfo* v : english)
    if (v->gender == named->gender) same.push_back(v);
  const std::size_t k = rank_in_gender(*named);
  if (!same.empty()) return same[k % same.size()]->name;

  // A variant of the gender on the first English voice (espeak-ng: "en-us+f3").
  const char prefix = named->gender == Gender::kFemale ? 'f' : 'm';
  std::vector<const std::string*> variants;
  for (const std::string& v : engine.variants)
    if (v.size() >= 2 && v[0] == prefix && v[1] >= '0' && v[1] <= '9') variants.push_back(&v);
  if (!english.empty() && !variants.empty())
    return english.front()->name + "+" + *variants[k % variants.size()];
  return default_voice;
}

std::optional<std::string> openai_voice_engine(std::string_view name,
                                               const std::vector<OpenAiVoiceOverride>& overrides) {
  for (const OpenAiVoiceOverride& o : overrides)
    if (o.name == name) return o.engine;
  return std::nullopt;
}

}  // namespace lector::api
