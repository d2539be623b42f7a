#include "engine/espeak_engine.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>
#include <utility>

#include "core/error.h"

namespace lector::engine {
namespace {

// State of the synthesis in progress; espeak's callback reaches it through user_data.
struct CallbackState {
  AudioSink* sink = nullptr;
  int sample_rate = 0;
  bool stopped = false;
  std::size_t words_end = 0;  // code point after the last word reported
};

int on_synth(short* wav, int numsamples, espeak_EVENT* events) {
  auto* state = static_cast<CallbackState*>(events->user_data);
  if (state == nullptr || state->stopped) return 1;
  for (const espeak_EVENT* e = events; e->type != espeakEVENT_LIST_TERMINATED; ++e) {
    // text_position is 1-based, in code points; audio_position is in milliseconds.
    if (e->type != espeakEVENT_WORD || e->text_position <= 0 || e->length <= 0) continue;
    const auto offset = static_cast<std::size_t>(e->text_position - 1);
    // espeak reads "3.50" as several words and reports the later ones inside the first
    // ("3.50", then ".50 " three times): one written word, one mark.
    if (offset < state->words_end) continue;
    state->words_end = offset + static_cast<std::size_t>(e->length);
    state->sink->on_word(offset, static_cast<std::size_t>(e->length),
                         static_cast<std::uint64_t>(e->audio_position) *
                             static_cast<std::uint64_t>(state->sample_rate) / 1000);
  }
  if (wav != nullptr && numsamples > 0) {
    if (!state->sink->on_audio({wav, static_cast<std::size_t>(numsamples)})) {
      state->stopped = true;
      return 1;
    }
  }
  return 0;
}

// espeak language tags are lower case ("en-us", "pt-br"); BCP-47 writes regions upper case.
std::string to_bcp47(const std::string& tag) {
  std::string out;
  std::size_t start = 0;
  bool first = true;
  while (start <= tag.size()) {
    std::size_t end = tag.find('-', start);
    if (end == std::string::npos) end = tag.size();
    std::string part = tag.substr(start, end - start);
    if (!first && part.size() == 2 &&
        std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isalpha(c); })) {
      for (char& c : part) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (!first) out += '-';
    out += part;
    first = false;
    start = end + 1;
  }
  return out;
}

}  // namespace

EspeakEngine::EspeakEngine() {
  sample_rate_ =
      espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (sample_rate_ <= 0) throw Error(ErrorCode::kUnavailable, "espeak-ng failed to initialise");
  espeak_SetSynthCallback(on_synth);

  std::set<std::string> seen;
  for (const espeak_VOICE** v = espeak_ListVoices(nullptr); v != nullptr && *v != nullptr; ++v) {
    const std::string id = (*v)->identifier != nullptr ? (*v)->identifier : "";
    // mbrola voices need the mbrola program and its databases, which Debian main lacks.
    if (id.empty() || id.rfind("mb/", 0) == 0) continue;
    // `languages` is a list of (priority byte, NUL-terminated tag), ended by a zero byte.
    std::string tag;
    if ((*v)->languages != nullptr && (*v)->languages[0] != 0) tag = (*v)->languages + 1;
    VoiceInfo info;
    info.name = tag.empty() || seen.count(tag) ? id : tag;
    if (!seen.insert(info.name).second) continue;
    info.display_name = (*v)->name != nullptr ? (*v)->name : info.name;
    info.language = to_bcp47(tag.empty() ? id.substr(id.find('/') + 1) : tag);
    info.gender = (*v)->gender == 2   ? Gender::kFemale
                  : (*v)->gender == 1 ? Gender::kMale
                                      : Gender::kUnknown;
    info.engine_id = id;
    info.sample_rate = sample_rate_;
    voices_.push_back(std::move(info));
  }
  // Variants ("en-us+f3", "de+klatt") change sex, age or the synthesizer; espeak reports no
  // gender of its own, so they are the documented way to a female voice.
  const char* data_path = nullptr;
  espeak_Info(&data_path);
  if (data_path != nullptr) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(
             std::filesystem::path(data_path) / "voices" / "!v", ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file(ec) && name.find_first_of(" +") == std::string::npos)
        variants_.push_back(name);
    }
    std::sort(variants_.begin(), variants_.end());
  }
  std::sort(voices_.begin(), voices_.end(),
            [](const VoiceInfo& a, const VoiceInfo& b) { return a.name < b.name; });
}

const VoiceInfo* EspeakEngine::find_voice(const std::string& name) const {
  for (const VoiceInfo& v : voices_)
    if (v.name == name) return &v;
  return nullptr;
}

namespace {

// "en-us+f3" -> ("en-us", "f3"); no '+' -> (name, "").
std::pair<std::string, std::string> split_variant(const std::string& name) {
  const std::size_t plus = name.find('+');
  if (plus == std::string::npos) return {name, {}};
  return {name.substr(0, plus), name.substr(plus + 1)};
}

}  // namespace

bool EspeakEngine::synthesize(const std::string& voice, const SynthParams& params,
                              std::string_view text, AudioSink& sink) {
  const auto [base, variant] = split_variant(voice);
  const VoiceInfo* info = find_voice(base);
  if (!variant.empty() && std::find(variants_.begin(), variants_.end(), variant) == variants_.end())
    info = nullptr;
  if (info == nullptr)
    throw Error(ErrorCode::kBadParameter, "unknown espeak voice '" + voice + "'", "voice");
  const std::string espeak_name =
      variant.empty() ? info->engine_id : info->engine_id + "+" + variant;
  if (current_voice_ != espeak_name) {
    if (espeak_SetVoiceByName(espeak_name.c_str()) != EE_OK)
      throw Error(ErrorCode::kEngineFailed, "espeak-ng could not load voice '" + voice + "'");
    current_voice_ = espeak_name;
  }
  // Parameters are global in espeak: set all three before every synthesis.
  espeak_SetParameter(espeakRATE,
                      std::clamp(static_cast<int>(std::lround(175 * params.speed)), 80, 900), 0);
  espeak_SetParameter(espeakPITCH,
                      std::clamp(static_cast<int>(std::lround(50 * params.pitch)), 0, 100), 0);
  espeak_SetParameter(espeakVOLUME,
                      std::clamp(static_cast<int>(std::lround(100 * params.volume)), 0, 200), 0);

  CallbackState state{&sink, sample_rate_, false};
  const std::string buffer(text);  // espeak wants a NUL-terminated string
  // espeakPHONEMES: [[…]] is read as phonemes (a lexicon's phoneme entries, docs/TEXT.md).
  const espeak_ERROR rc =
      espeak_Synth(buffer.c_str(), buffer.size() + 1, 0, POS_CHARACTER, 0,
                   espeakCHARS_UTF8 | espeakENDPAUSE | espeakPHONEMES, nullptr, &state);
  if (state.stopped) return false;
  if (rc != EE_OK) throw Error(ErrorCode::kEngineFailed, "espeak_Synth failed");
  return true;
}

}  // namespace lector::engine
