// A Piper voice's config and Piper's id rules, without a model (the end-to-end test runs them
// through real models).

#include "engine/neural/piper_voice.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace lector::engine::neural {
namespace {

const char* const kConfig = R"({
  "audio": {"sample_rate": 16000},
  "espeak": {"voice": "de"},
  "language": {"code": "de_DE"},
  "inference": {"noise_scale": 0.5, "length_scale": 1.5, "noise_w": 0.25},
  "phoneme_id_map": {"_": [0], "^": [1], "$": [2], " ": [3], "a": [10], "\u0283": [11, 12],
                     "ab": [99]},
  "num_speakers": 2,
  "speaker_id_map": {"zoe": 1, "adam": 0}
})";

TEST(PiperVoice, ParsesTheConfig) {
  const PiperVoice v = parse_piper_config(kConfig, "de_DE-x-low", "/v/de_DE-x-low.onnx");
  EXPECT_EQ(v.sample_rate, 16000);
  EXPECT_EQ(v.espeak_voice, "de");
  EXPECT_EQ(v.language, "de-DE");
  EXPECT_FLOAT_EQ(v.noise_scale, 0.5f);
  EXPECT_FLOAT_EQ(v.length_scale, 1.5f);
  EXPECT_FLOAT_EQ(v.noise_w, 0.25f);
  EXPECT_EQ(v.num_speakers, 2);
  ASSERT_EQ(v.speakers.size(), 2u);
  EXPECT_EQ(v.speakers[0], (std::pair<std::string, std::int64_t>{"adam", 0}));
  EXPECT_EQ(v.speakers[1], (std::pair<std::string, std::int64_t>{"zoe", 1}));
  // Keys of several code points are never matched: left out.
  EXPECT_EQ(v.phoneme_id_map.size(), 6u);

  const auto infos = piper_voice_infos(v);
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].name, "de_DE-x-low#adam");
  EXPECT_EQ(infos[1].name, "de_DE-x-low#zoe");
  EXPECT_EQ(infos[1].language, "de-DE");
  EXPECT_EQ(infos[1].sample_rate, 16000);
}

TEST(PiperVoice, IdsFollowPipersRules) {
  const PiperVoice v = parse_piper_config(kConfig, "x", "x.onnx");
  // BOS, pad, then each phoneme's ids and a pad, EOS; the unknown "z" is dropped.
  EXPECT_EQ(piper_phoneme_ids(v, U"a z\u0283"),
            (std::vector<std::int64_t>{1, 0, 10, 0, 3, 0, 11, 12, 0, 2}));
  EXPECT_EQ(piper_phoneme_ids(v, U""), (std::vector<std::int64_t>{1, 0, 2}));
}

TEST(PiperVoice, DefaultsAndLanguageFromTheEspeakVoice) {
  const PiperVoice v = parse_piper_config(
      R"({"espeak": {"voice": "en-gb-x-rp"}, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}})",
      "en_GB-x", "en_GB-x.onnx");
  EXPECT_EQ(v.sample_rate, 22050);
  EXPECT_EQ(v.language, "en-GB-x-rp");
  EXPECT_TRUE(v.speakers.empty());
  ASSERT_EQ(piper_voice_infos(v).size(), 1u);
  EXPECT_EQ(piper_voice_infos(v)[0].name, "en_GB-x");
}

TEST(PiperVoice, RejectsWhatItCannotServe) {
  const char* const bad[] = {
      "not json",
      R"({"phoneme_id_map": {"_": [0], "^": [1], "$": [2]}})",            // no espeak.voice
      R"({"espeak": {"voice": "en-us"}})",                                // no map
      R"({"espeak": {"voice": "en-us"}, "phoneme_id_map": {"_": [0]}})",  // no ^ and $
      R"({"espeak": {"voice": "en-us"}, "audio": {"sample_rate": "x"},
          "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}})",
      R"({"espeak": {"voice": "en-us"}, "num_speakers": 0,
          "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}})",
  };
  for (const char* config : bad) {
    EXPECT_THROW(parse_piper_config(config, "x", "x.onnx"), std::runtime_error) << config;
  }
}

}  // namespace
}  // namespace lector::engine::neural
