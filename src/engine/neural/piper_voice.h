#pragma once
// A Piper voice's configuration (NAME.onnx.json) and Piper's rules for it, without the model:
// which voices it offers, and the ids a phoneme string becomes. Plain values; any thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace lector::engine::neural {

struct PiperVoice {
  std::string name;        // the model's file stem, e.g. "en_US-lessac-medium"
  std::string model_path;  // NAME.onnx
  int sample_rate = 22050;
  std::string espeak_voice;  // espeak.voice, e.g. "en-us"
  std::string language;      // BCP-47, from language.code ("en_US") else the espeak voice
  // One code point each (Piper's keys); a key of several code points is never matched.
  std::map<char32_t, std::vector<std::int64_t>> phoneme_id_map;
  float noise_scale = 0.667f;
  float length_scale = 1.0f;
  float noise_w = 0.8f;
  int num_speakers = 1;
  // Speaker name -> id, in id order; names "0".."N-1" when the config has no speaker_id_map.
  std::vector<std::pair<std::string, std::int64_t>> speakers;
};

// Parses NAME.onnx.json. Throws std::runtime_error saying what is missing or malformed.
PiperVoice parse_piper_config(std::string_view text, const std::string& name,
                              const std::string& model_path);

// The voices `voice` offers: one, or one per speaker named "NAME#SPEAKER".
std::vector<VoiceInfo> piper_voice_infos(const PiperVoice& voice);

// Piper's ids for `phonemes` (already NFD-decomposed): BOS "^" and a pad "_", then each
// phoneme's ids followed by a pad, then EOS "$". Phonemes the map lacks are dropped.
std::vector<std::int64_t> piper_phoneme_ids(const PiperVoice& voice, std::u32string_view phonemes);

}  // namespace lector::engine::neural
