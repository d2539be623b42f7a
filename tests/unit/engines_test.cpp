// Behaviour of the in-process engines flite and festival (and the test engine tone when built
// with LECTOR_TEST_ENGINE), driven the way a worker drives them. An engine that was not
// compiled in is skipped. Festival can be initialised only once per
// process, so every engine is created once and shared by the tests of this binary.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/engine.h"

namespace lector::engine {
namespace {

constexpr const char* kSentence = "The quick brown fox jumps over the lazy dog.";

// A sentence each voice can read: festival's Hindi, Marathi and Telugu voices say nothing for
// Latin script, and the others are better judged in their own language (which also exercises
// the conversion to the voice's character set).
std::string sentence_for(const VoiceInfo& v) {
  static const std::map<std::string, std::string> kByLanguage = {
      {"ca", "Aquesta és una frase de prova en català."},
      {"cs", "Příliš žluťoučký kůň úpěl ďábelské ódy."},
      {"fi", "Tämä on suomenkielinen testilause."},
      {"hi", "यह एक परीक्षण वाक्य है।"},
      {"it", "Questa è una frase di prova in italiano."},
      {"mr", "हे एक चाचणी वाक्य आहे."},
      {"ru", "Съешь же ещё этих мягких французских булок, да выпей чаю."},
      {"te", "ఇది ఒక పరీక్ష వాక్యం."},
  };
  const auto it = kByLanguage.find(v.language.substr(0, 2));
  return it != kByLanguage.end() ? it->second : kSentence;
}
constexpr const char* kTwoSentences =
    "The quick brown fox jumps over the lazy dog. A second sentence follows the first one.";

bool compiled_in(const std::string& name) {
  const std::vector<std::string> names = engine_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

Engine& shared_engine(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Engine>> engines;
  std::unique_ptr<Engine>& e = engines[name];
  if (!e) e = make_engine(name);
  return *e;
}

// Keeps every sample; returns false (stop) once `stop_after` chunks have arrived, if set.
class CollectingSink final : public AudioSink {
 public:
  explicit CollectingSink(std::size_t stop_after = 0) : stop_after_(stop_after) {}
  bool on_audio(std::span<const std::int16_t> pcm) override {
    ++chunks;
    samples.insert(samples.end(), pcm.begin(), pcm.end());
    return stop_after_ == 0 || chunks < stop_after_;
  }
  std::vector<std::int16_t> samples;
  std::size_t chunks = 0;

 private:
  std::size_t stop_after_;
};

double rms(const std::vector<std::int16_t>& s) {
  if (s.empty()) return 0.0;
  double sum = 0.0;
  for (std::int16_t v : s) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(s.size()));
}

// Median F0 in Hz of the voiced, loud 40 ms frames (normalised autocorrelation), 0 if none.
double median_f0(const std::vector<std::int16_t>& s, int rate) {
  const auto frame = static_cast<std::size_t>(rate / 25);
  const auto min_lag = static_cast<std::size_t>(rate / 400);
  const auto max_lag = static_cast<std::size_t>(rate / 60);
  const double loud = rms(s) * 0.5;
  std::vector<double> f0s;
  for (std::size_t start = 0; start + frame + max_lag < s.size(); start += frame / 2) {
    double energy = 0.0;
    for (std::size_t i = 0; i < frame; ++i)
      energy += static_cast<double>(s[start + i]) * s[start + i];
    if (std::sqrt(energy / static_cast<double>(frame)) < loud) continue;
    double best = 0.0;
    std::size_t best_lag = 0;
    for (std::size_t lag = min_lag; lag <= max_lag; ++lag) {
      double c = 0.0, e2 = 0.0;
      for (std::size_t i = 0; i < frame; ++i) {
        c += static_cast<double>(s[start + i]) * s[start + i + lag];
        e2 += static_cast<double>(s[start + i + lag]) * s[start + i + lag];
      }
      const double r = c / std::sqrt(energy * e2 + 1.0);
      if (r > best) {
        best = r;
        best_lag = lag;
      }
    }
    if (best > 0.6 && best_lag > 0) f0s.push_back(static_cast<double>(rate) / best_lag);
  }
  if (f0s.empty()) return 0.0;
  std::nth_element(f0s.begin(), f0s.begin() + static_cast<long>(f0s.size() / 2), f0s.end());
  return f0s[f0s.size() / 2];
}

struct Result {
  bool completed = false;
  std::vector<std::int16_t> samples;
  std::size_t chunks = 0;
};

Result speak(Engine& e, const std::string& voice, const std::string& text, SynthParams p = {}) {
  CollectingSink sink;
  Result r;
  r.completed = e.synthesize(voice, p, text, sink);
  r.samples = std::move(sink.samples);
  r.chunks = sink.chunks;
  return r;
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!compiled_in(GetParam())) GTEST_SKIP() << GetParam() << " is not compiled in";
    engine_ = &shared_engine(GetParam());
  }
  Engine& engine() { return *engine_; }
  VoiceInfo voice(const std::string& name) {
    for (const VoiceInfo& v : engine().voices())
      if (v.name == name) return v;
    ADD_FAILURE() << "no voice " << name;
    return {};
  }
  // Voices whose speed, pitch and volume handling is checked: one per kind of synthesizer.
  std::vector<std::string> sample_voices() {
    if (GetParam() == "flite") return {"kal", "kal16", "slt"};
    if (GetParam() == "tone") return {"tone", "tone8"};
    return {"kal_diphone", "cmu_us_slt_arctic_hts", "czech_dita"};
  }

 private:
  Engine* engine_ = nullptr;
};

TEST_P(EngineTest, ListsItsVoicesWithRatesLanguagesAndGenders) {
  const std::vector<VoiceInfo> voices = engine().voices();
  std::set<std::string> names;
  for (const VoiceInfo& v : voices) {
    EXPECT_TRUE(names.insert(v.name).second) << "duplicate voice " << v.name;
    EXPECT_FALSE(v.display_name.empty()) << v.name;
    EXPECT_FALSE(v.language.empty()) << v.name;
    EXPECT_NE(v.language, "und") << v.name;
    if (GetParam() != "tone") {
      EXPECT_NE(v.gender, Gender::kUnknown) << v.name;
    }
    EXPECT_FALSE(v.engine_id.empty()) << v.name;
    EXPECT_TRUE(v.sample_rate == 8000 || v.sample_rate == 16000 || v.sample_rate == 22050 ||
                v.sample_rate == 32000 || v.sample_rate == 44100 || v.sample_rate == 48000)
        << v.name << " at " << v.sample_rate;
  }
  if (GetParam() == "flite") {
    EXPECT_EQ(names, (std::set<std::string>{"awb", "kal", "kal16", "rms", "slt"}));
    EXPECT_EQ(voice("kal").sample_rate, 8000);
    EXPECT_EQ(voice("kal16").sample_rate, 16000);
    EXPECT_EQ(voice("slt").sample_rate, 16000);
    EXPECT_EQ(voice("slt").gender, Gender::kFemale);
    EXPECT_EQ(voice("awb").language, "en-GB");
    EXPECT_EQ(engine().sample_rate(), 16000);
  } else if (GetParam() == "tone") {
    EXPECT_EQ(names, (std::set<std::string>{"tone", "tone8"}));
    EXPECT_EQ(voice("tone").sample_rate, 16000);
    EXPECT_EQ(voice("tone8").sample_rate, 8000);
  } else {
    EXPECT_GT(voices.size(), 10u) << "install the festvox packages (scripts/deps.sh)";
    EXPECT_EQ(voice("kal_diphone").language, "en-US");
    EXPECT_EQ(voice("kal_diphone").gender, Gender::kMale);
    EXPECT_EQ(voice("cmu_us_slt_arctic_hts").sample_rate, 32000);
    EXPECT_EQ(voice("cmu_us_slt_arctic_hts").gender, Gender::kFemale);
  }
}

TEST_P(EngineTest, ReportsItsCapabilities) {
  const Capabilities caps = engine().capabilities();
  // Every engine reports word marks (engine_words_test.cpp checks them); festival's workers are
  // big, one by default.
  EXPECT_TRUE(caps.word_timings);
  EXPECT_EQ(caps.default_workers, GetParam() == "festival" ? 1 : 0);
  EXPECT_GT(caps.memory_mb_per_worker, 0);
  EXPECT_LT(caps.memory_mb_per_worker, 1000);
}

TEST(Espeak, ReportsWordTimings) {
  const Capabilities caps = shared_engine("espeak").capabilities();
  EXPECT_TRUE(caps.word_timings);
  EXPECT_EQ(caps.default_workers, 0);
  EXPECT_GT(caps.memory_mb_per_worker, 0);
}

TEST(EngineNames, TheTestEngineIsNeverADefault) {
  const std::vector<std::string> defaults = default_engine_names();
  EXPECT_EQ(defaults.front(), "espeak");
  EXPECT_EQ(std::count(defaults.begin(), defaults.end(), "tone"), 0);
  for (const std::string& name : defaults) EXPECT_TRUE(compiled_in(name)) << name;
#ifdef LECTOR_HAVE_TONE
  EXPECT_TRUE(compiled_in("tone"));
#else
  EXPECT_FALSE(compiled_in("tone"));
  EXPECT_THROW(make_engine("tone"), Error);
#endif
}

TEST_P(EngineTest, EveryVoiceSpeaksASentenceOfPlausibleLength) {
  for (const VoiceInfo& v : engine().voices()) {
    const Result r = speak(engine(), v.name, sentence_for(v));
    ASSERT_TRUE(r.completed) << v.name;
    const double seconds = static_cast<double>(r.samples.size()) / v.sample_rate;
    EXPECT_GT(seconds, 0.5) << v.name;
    EXPECT_LT(seconds, 10.0) << v.name;
    EXPECT_GT(rms(r.samples), 300.0) << v.name << " is (nearly) silent";
  }
}

TEST_P(EngineTest, StreamsEachUtteranceAsItIsSynthesized) {
  const Result r = speak(engine(), sample_voices().front(), kTwoSentences);
  ASSERT_TRUE(r.completed);
  EXPECT_GT(r.chunks, 1u);
  const Result one = speak(engine(), sample_voices().front(), kSentence);
  EXPECT_GT(r.samples.size(), one.samples.size() * 3 / 2) << "the second sentence is missing";
}

TEST_P(EngineTest, DoubleSpeedIsShorter) {
  // festival's cluster-unit voice (msu_ru_nsh_clunits) keeps its recorded durations (documented).
  for (const std::string& name : sample_voices()) {
    const Result normal = speak(engine(), name, kTwoSentences);
    const Result fast = speak(engine(), name, kTwoSentences, {.speed = 2.0});
    EXPECT_LT(static_cast<double>(fast.samples.size()), 0.7 * normal.samples.size()) << name;
    // Parameters are per request: the next default request is back to normal length.
    const Result again = speak(engine(), name, kTwoSentences);
    EXPECT_NEAR(static_cast<double>(again.samples.size()), normal.samples.size(),
                0.1 * normal.samples.size())
        << name;
  }
}

TEST_P(EngineTest, QuarterVolumeIsQuieter) {
  for (const std::string& name : sample_voices()) {
    const Result normal = speak(engine(), name, kSentence);
    const Result quiet = speak(engine(), name, kSentence, {.volume = 0.25});
    EXPECT_LT(rms(quiet.samples), 0.4 * rms(normal.samples)) << name;
    EXPECT_GT(rms(quiet.samples), 0.1 * rms(normal.samples)) << name;
  }
}

TEST_P(EngineTest, HigherPitchRaisesF0WhereSupported) {
  // flite's rms and festival's HTS and cluster-unit voices make their own F0 and ignore the
  // request's pitch (documented); so does the test engine.
  if (GetParam() == "tone") GTEST_SKIP() << "tone ignores pitch";
  for (const std::string& name : sample_voices()) {
    if (name == "cmu_us_slt_arctic_hts") continue;
    const VoiceInfo v = voice(name);
    const int rate = v.sample_rate;
    const double normal = median_f0(speak(engine(), name, sentence_for(v)).samples, rate);
    const double high =
        median_f0(speak(engine(), name, sentence_for(v), {.pitch = 1.5}).samples, rate);
    ASSERT_GT(normal, 50.0) << name;
    EXPECT_GT(high, normal * 1.25) << name << ": " << normal << " Hz -> " << high << " Hz";
  }
}

TEST_P(EngineTest, SinkStopsTheSynthesisAndTheEngineStaysUsable) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += std::string(kSentence) + " ";
  for (const std::string& name : sample_voices()) {
    CollectingSink sink(/*stop_after=*/1);
    EXPECT_FALSE(engine().synthesize(name, {}, text, sink)) << name;
    EXPECT_EQ(sink.chunks, 1u) << name << ": audio after the sink said stop";
    const Result next = speak(engine(), name, kSentence);
    EXPECT_TRUE(next.completed) << name;
    EXPECT_GT(next.samples.size(), 0u) << name;
  }
}

TEST_P(EngineTest, UnknownVoiceIsABadParameter) {
  CollectingSink sink;
  try {
    engine().synthesize("no-such-voice", {}, kSentence, sink);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    EXPECT_EQ(e.param(), "voice");
  }
}

TEST_P(EngineTest, TextIsDataNotMarkupOrCode) {
  // Quotes, parentheses and backslashes would break a Scheme string; angle brackets are not
  // SSML here. Both must simply be spoken (or skipped), never evaluated.
  const Result r = speak(engine(), sample_voices().front(),
                         "He said \"(quit)\" \\\" ) (exit) <break time=\"10s\"/> and left. "
                         "Grüße, café, naïve.");
  EXPECT_TRUE(r.completed);
  EXPECT_GT(r.samples.size(), 0u);
  // Still alive and still the same voice.
  EXPECT_TRUE(speak(engine(), sample_voices().front(), kSentence).completed);
}

TEST_P(EngineTest, TextAVoiceCannotReadNeitherCrashesNorWedgesIt) {
  // Inputs that crashed festival in development: no segments at all ("...", a lone dash, a
  // script the voice has no rules for) and Latin text for the Indic voices.
  for (const VoiceInfo& v : engine().voices()) {
    for (const char* text : {"...", "-", "日本語", "Hello there."}) {
      CollectingSink sink;
      try {
        engine().synthesize(v.name, {}, text, sink);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kEngineFailed) << v.name << " on '" << text << "'";
      }
    }
    const Result r = speak(engine(), v.name, sentence_for(v));
    EXPECT_TRUE(r.completed) << v.name;
    EXPECT_GT(static_cast<double>(r.samples.size()) / v.sample_rate, 0.5) << v.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::Values("flite", "festival"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });
#ifdef LECTOR_HAVE_TONE
INSTANTIATE_TEST_SUITE_P(TestEngine, EngineTest, ::testing::Values("tone"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });
#endif

}  // namespace
}  // namespace lector::engine
