#include "engine/neural/piper_voice.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace lector::engine::neural {
namespace {

using nlohmann::json;

// Decodes one UTF-8 string of exactly one code point; 0 when it is not one.
char32_t single_code_point(const std::string& s) {
  if (s.empty()) return 0;
  const auto lead = static_cast<unsigned char>(s[0]);
  const std::size_t extra = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
  if (s.size() != extra + 1) return 0;
  char32_t cp = extra == 0 ? lead : lead & (0x7Fu >> (extra + 1));
  for (std::size_t k = 1; k <= extra; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[k]) & 0x3Fu);
  }
  return cp;
}

// "en_US" or "en-us" -> "en-US": the language lower case, a two-letter region upper case.
std::string to_bcp47(std::string tag) {
  std::replace(tag.begin(), tag.end(), '_', '-');
  std::size_t start = 0;
  // After a singleton ("x" of "en-gb-x-rp") come extensions, left as written.
  bool extension = false;
  for (bool first = true; start <= tag.size() && !extension; first = false) {
    std::size_t end = tag.find('-', start);
    if (end == std::string::npos) end = tag.size();
    extension = end - start == 1;
    for (std::size_t i = start; i < end; ++i) {
      const auto c = static_cast<unsigned char>(tag[i]);
      if (first) tag[i] = static_cast<char>(std::tolower(c));
      if (!first && end - start == 2) tag[i] = static_cast<char>(std::toupper(c));
    }
    start = end + 1;
  }
  return tag;
}

float scale(const json& inference, const char* key, float fallback) {
  if (!inference.is_object() || !inference.contains(key)) return fallback;
  if (!inference[key].is_number())
    throw std::runtime_error(std::string("inference.") + key + " is not a number");
  return inference[key].get<float>();
}

}  // namespace

PiperVoice parse_piper_config(std::string_view text, const std::string& name,
                              const std::string& model_path) {
  const json config = json::parse(text, nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    throw std::runtime_error("not a JSON object");
  }
  PiperVoice v;
  v.name = name;
  v.model_path = model_path;
  const json& audio = config.value("audio", json::object());
  if (audio.contains("sample_rate")) {
    if (!audio["sample_rate"].is_number_integer()) {
      throw std::runtime_error("audio.sample_rate is not an integer");
    }
    v.sample_rate = audio["sample_rate"].get<int>();
  }
  if (v.sample_rate < 8000 || v.sample_rate > 192000) {
    throw std::runtime_error("audio.sample_rate " + std::to_string(v.sample_rate) +
                             " is out of range");
  }
  const json& espeak = config.value("espeak", json::object());
  if (!espeak.contains("voice") || !espeak["voice"].is_string()) {
    throw std::runtime_error("espeak.voice is missing (only espeak-phonemized voices are served)");
  }
  v.espeak_voice = espeak["voice"].get<std::string>();
  const json& language = config.value("language", json::object());
  v.language =
      to_bcp47(language.is_object() && language.contains("code") && language["code"].is_string()
                   ? language["code"].get<std::string>()
                   : v.espeak_voice);
  const json& inference = config.value("inference", json::object());
  v.noise_scale = scale(inference, "noise_scale", v.noise_scale);
  v.length_scale = scale(inference, "length_scale", v.length_scale);
  v.noise_w = scale(inference, "noise_w", v.noise_w);

  if (!config.contains("phoneme_id_map") || !config["phoneme_id_map"].is_object()) {
    throw std::runtime_error("phoneme_id_map is missing");
  }
  for (const auto& [key, ids] : config["phoneme_id_map"].items()) {
    const char32_t cp = single_code_point(key);
    if (cp == 0) continue;
    if (!ids.is_array()) throw std::runtime_error("phoneme_id_map['" + key + "'] is not a list");
    std::vector<std::int64_t>& out = v.phoneme_id_map[cp];
    for (const json& id : ids) {
      if (!id.is_number_integer()) {
        throw std::runtime_error("phoneme_id_map['" + key + "'] holds a non-integer");
      }
      out.push_back(id.get<std::int64_t>());
    }
  }
  for (char32_t special : {U'_', U'^', U'$'}) {
    if (!v.phoneme_id_map.count(special)) {
      throw std::runtime_error(std::string("phoneme_id_map lacks '") + static_cast<char>(special) +
                               "'");
    }
  }

  if (config.contains("num_speakers")) {
    if (!config["num_speakers"].is_number_integer() || config["num_speakers"].get<int>() < 1) {
      throw std::runtime_error("num_speakers is not a positive integer");
    }
    v.num_speakers = config["num_speakers"].get<int>();
  }
  if (v.num_speakers > 1) {
    const json& map = config.value("speaker_id_map", json::object());
    if (map.is_object()) {
      for (const auto& [speaker, id] : map.items()) {
        if (id.is_number_integer()) v.speakers.emplace_back(speaker, id.get<std::int64_t>());
      }
    }
    if (v.speakers.empty()) {
      for (int i = 0; i < v.num_speakers; ++i) v.speakers.emplace_back(std::to_string(i), i);
    }
    std::sort(v.speakers.begin(), v.speakers.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
  }
  return v;
}

std::vector<VoiceInfo> piper_voice_infos(const PiperVoice& voice) {
  std::vector<VoiceInfo> out;
  auto add = [&](const std::string& name, const std::string& display) {
    VoiceInfo info;
    info.name = name;
    info.display_name = display;
    info.language = voice.language;
    info.engine_id = voice.model_path;
    info.sample_rate = voice.sample_rate;
    out.push_back(std::move(info));
  };
  if (voice.speakers.empty()) {
    add(voice.name, voice.name);
  } else {
    for (const auto& [speaker, id] : voice.speakers) {
      add(voice.name + "#" + speaker, voice.name + " (" + speaker + ")");
    }
  }
  return out;
}

std::vector<std::int64_t> piper_phoneme_ids(const PiperVoice& voice, std::u32string_view phonemes) {
  const auto& map = voice.phoneme_id_map;
  const std::vector<std::int64_t>& pad = map.at(U'_');
  std::vector<std::int64_t> ids = map.at(U'^');
  ids.insert(ids.end(), pad.begin(), pad.end());
  for (char32_t p : phonemes) {
    const auto it = map.find(p);
    if (it == map.end()) continue;
    ids.insert(ids.end(), it->second.begin(), it->second.end());
    ids.insert(ids.end(), pad.begin(), pad.end());
  }
  const std::vector<std::int64_t>& eos = map.at(U'$');
  ids.insert(ids.end(), eos.begin(), eos.end());
  return ids;
}

}  // namespace lector::engine::neural
