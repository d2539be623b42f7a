// OpenAI names onto Lector's engines and voices (api/openai_voices.h), and the output
// parameters every synthesis route shares (api/output.h).

#include <gtest/gtest.h>

#include "api/openai_voices.h"
#include "api/output.h"
#include "core/error.h"

namespace lector::api {
namespace {

VoiceInfo voice(std::string name, std::string language, Gender g) {
  VoiceInfo v;
  v.name = std::move(name);
  v.language = std::move(language);
  v.gender = g;
  return v;
}

sched::EngineInfo flite_like() {
  sched::EngineInfo e;
  e.name = "flite";
  e.sample_rate = 16000;
  e.voices = {voice("kal", "en-US", Gender::kMale), voice("awb", "en-GB", Gender::kMale),
              voice("rms", "en-US", Gender::kMale), voice("slt", "en-US", Gender::kFemale)};
  return e;
}

sched::EngineInfo espeak_like() {
  sched::EngineInfo e;
  e.name = "espeak";
  e.sample_rate = 22050;
  e.voices = {voice("de", "de", Gender::kMale), voice("en-gb", "en-GB", Gender::kMale),
              voice("en-us", "en-US", Gender::kMale)};
  e.variants = {"f1", "f2", "klatt", "m1", "m2", "whisper"};
  return e;
}

std::string map(std::string_view name, const sched::EngineInfo& e,
                const std::vector<OpenAiVoiceOverride>& overrides = {}) {
  return map_openai_voice(name, e, overrides, "default");
}

TEST(OpenAiVoices, GenderPicksAnEnglishVoiceOfThatGenderUsEnglishFirst) {
  const auto flite = flite_like();
  EXPECT_EQ(map("nova", flite), "slt");
  EXPECT_EQ(map("shimmer", flite), "slt");
  // Male names are spread over the male voices, US English first: kal, rms, then awb.
  EXPECT_EQ(map("ash", flite), "kal");
  EXPECT_EQ(map("ballad", flite), "rms");
  EXPECT_EQ(map("echo", flite), "awb");
  EXPECT_EQ(map("fable", flite), "kal");
}

TEST(OpenAiVoices, AnEngineWithoutTheGenderUsesItsVariants) {
  const auto espeak = espeak_like();
  EXPECT_EQ(map("alloy", espeak), "en-us+f1");
  EXPECT_EQ(map("coral", espeak), "en-us+f2");
  EXPECT_EQ(map("nova", espeak), "en-us+f1");
  EXPECT_EQ(map("ash", espeak), "en-us");  // male voices exist
}

TEST(OpenAiVoices, OverridesAndSameNamedVoicesComeFirst) {
  const auto flite = flite_like();
  const std::vector<OpenAiVoiceOverride> o = {{"nova", "flite", "kal"}, {"nova", "espeak", "de"}};
  EXPECT_EQ(map("nova", flite, o), "kal");
  EXPECT_EQ(map("nova", espeak_like(), o), "de");
  EXPECT_EQ(openai_voice_engine("nova", o), "flite");
  EXPECT_EQ(openai_voice_engine("onyx", o), std::nullopt);
  sched::EngineInfo upstream;
  upstream.name = "cloud";
  upstream.voices = {voice("alloy", "", Gender::kUnknown), voice("onyx", "", Gender::kUnknown)};
  EXPECT_EQ(map("onyx", upstream), "onyx");
}

TEST(OpenAiVoices, NoEnglishVoiceFallsBackToTheDefault) {
  sched::EngineInfo e;
  e.name = "x";
  e.voices = {voice("cs", "cs-CZ", Gender::kMale)};
  EXPECT_EQ(map("nova", e), "default");
  EXPECT_EQ(map("not-openai", e), "");
}

TEST(OpenAiVoices, ParsesTheFlag) {
  auto o = parse_openai_voice("nova=flite:slt");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->name, "nova");
  EXPECT_EQ(o->engine, "flite");
  EXPECT_EQ(o->voice, "slt");
  auto v = parse_openai_voice("onyx=espeak:en-us+m3");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->voice, "en-us+m3");
  for (const char* bad : {"nova", "nova=", "nova=slt", "nova=:slt", "nova=flite:", "bob=flite:slt"})
    EXPECT_FALSE(parse_openai_voice(bad)) << bad;
  EXPECT_TRUE(is_openai_model("tts-1-hd"));
  EXPECT_FALSE(is_openai_model("espeak"));
}

ParamLookup lookup(std::vector<std::pair<std::string, std::string>> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    for (const auto& [k, v] : values)
      if (k == name) return v;
    return std::nullopt;
  };
}

std::string param_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    return e.param();
  }
  return "(no error)";
}

TEST(OutputParams, DefaultsFormatsAndRates) {
  const OutputSpec d = output_params(lookup({}), OutputSpec{});
  EXPECT_EQ(d.format, audio::Format::kWav);
  EXPECT_EQ(d.sample_rate, 0);
  const OutputSpec s = output_params(lookup({{"format", "opus"}, {"sample_rate", "48000"}}), d);
  EXPECT_EQ(s.format, audio::Format::kOpus);
  EXPECT_EQ(s.sample_rate, 48000);
  const OutputSpec r = output_params(lookup({{"response_format", "flac"}}),
                                     OutputSpec{audio::Format::kMp3, 24000}, "response_format");
  EXPECT_EQ(r.format, audio::Format::kFlac);
  EXPECT_EQ(r.sample_rate, 24000);
}

TEST(OutputParams, BadValuesNameTheirParameter) {
  for (const char* f : {"aac", "ogg", "MP3", ""})
    EXPECT_EQ(param_of([&] { output_params(lookup({{"format", f}}), OutputSpec{}); }), "format");
  for (const char* r : {"7999", "48001", "16k", "16000.0", "", "-8000", "99999999999"})
    EXPECT_EQ(param_of([&] {
                output_params(lookup({{"sample_rate", r}}), OutputSpec{});
              }),
              "sample_rate")
        << r;
  EXPECT_EQ(param_of([] {
              check_output_rate(OutputSpec{audio::Format::kMp3, 9000}, 22050);
            }),
            "sample_rate");
  // The voice's own rate is checked when none was asked for.
  EXPECT_EQ(param_of([] {
              check_output_rate(OutputSpec{audio::Format::kMp3, 0}, 9000);
            }),
            "sample_rate");
  EXPECT_NO_THROW(check_output_rate(OutputSpec{audio::Format::kMp3, 0}, 22050));
  EXPECT_NO_THROW(check_output_rate(OutputSpec{audio::Format::kOpus, 9000}, 22050));
}

}  // namespace
}  // namespace lector::api
