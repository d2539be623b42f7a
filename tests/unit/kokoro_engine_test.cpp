// The kokoro engine with the real ONNX Runtime on the Kokoro-shaped model that
// tests/neural/make_kokoro.py writes (its docstring says how the audio encodes the inputs):
// the audio decoded back gives the token ids, the style row and voice, and the speed the
// engine passed. Skipped, saying why, when no runtime or no python3-onnx is present.

#include "engine/neural/kokoro_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "engine/neural/kokoro_tokens.h"
#include "engine/neural/phonemizer.h"
#include "kokoro_test_files.h"

namespace lector::engine::neural {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMarker = 120;  // make_kokoro.py's MARKER and BLOCK
constexpr std::size_t kBlock = 240;

class Recorder final : public AudioSink {
 public:
  bool on_audio(std::span<const std::int16_t> pcm) override {
    samples.insert(samples.end(), pcm.begin(), pcm.end());
    ++chunks;
    return chunks < stop_after;
  }
  std::vector<std::int16_t> samples;
  std::size_t chunks = 0;
  std::size_t stop_after = 1000000;
};

struct DecodedRun {
  long row = -1;
  long voice = -1;
  std::vector<std::int64_t> ids;  // padding included
  bool operator==(const DecodedRun&) const = default;
};

long level(std::int16_t sample, double volume = 1.0) {
  return std::lround(sample / 32767.0 / volume * 1000.0);
}

// The runs the model's audio encodes; fails the test when the audio is not made of whole,
// constant blocks of `block` samples.
std::vector<DecodedRun> decode(const std::vector<std::int16_t>& s, std::size_t block,
                               double volume = 1.0) {
  std::vector<DecodedRun> runs;
  std::size_t at = 0;
  while (at < s.size()) {
    DecodedRun run;
    if (at + 2 * kMarker > s.size()) {
      ADD_FAILURE() << "a marker cut short at " << at;
      break;
    }
    run.row = level(s[at], volume);
    run.voice = level(s[at + kMarker], volume);
    at += 2 * kMarker;
    for (long i = 0; i < run.row + 2; ++i) {
      if (at + block > s.size()) {
        ADD_FAILURE() << "a block cut short at " << at;
        return runs;
      }
      for (std::size_t k = 1; k < block; ++k)
        if (s[at + k] != s[at]) {
          ADD_FAILURE() << "block at " << at << " is not constant";
          return runs;
        }
      run.ids.push_back(level(s[at], volume));
      at += block;
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

// What the engine must have given the model for `text` in `espeak_voice`.
std::vector<DecodedRun> expected(const std::string& dir, const std::string& espeak_voice,
                                 const std::string& text, long voice_level) {
  static Phonemizer phonemizer;
  const KokoroVocab vocab = KokoroVocab::load(dir + "/config.json");
  const std::u32string phonemes = phonemizer.phonemize(espeak_voice, text);
  EXPECT_GT(phonemes.size(), text.size() / 2) << espeak_voice << " phonemizes " << text;
  std::vector<DecodedRun> runs;
  for (const auto& ids : kokoro_runs(vocab, phonemes)) {
    DecodedRun run{static_cast<long>(ids.size()), voice_level, {0}};
    run.ids.insert(run.ids.end(), ids.begin(), ids.end());
    run.ids.push_back(0);
    runs.push_back(std::move(run));
  }
  return runs;
}

class KokoroEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runtime_ = new std::string(test::onnxruntime_library());
    dir_ = new std::string(test::make_kokoro_files(&skip_));
  }
  static void TearDownTestSuite() {
    if (!dir_->empty()) fs::remove_all(*dir_);
    delete runtime_;
    delete dir_;
  }
  void SetUp() override {
    if (runtime_->empty())
      GTEST_SKIP() << "no ONNX Runtime library (" << test::kOnnxRuntimeHint << ")";
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  NeuralOptions options(const std::string& voices = "voices.npz") const {
    NeuralOptions o;
    o.onnxruntime = *runtime_;
    o.jobs = 3;
    o.kokoro_model = *dir_ + "/kokoro.onnx";
    o.kokoro_voices = *dir_ + "/" + voices;
    return o;
  }

  static std::string* runtime_;
  static std::string* dir_;
  static std::string skip_;
};

std::string* KokoroEngineTest::runtime_ = nullptr;
std::string* KokoroEngineTest::dir_ = nullptr;
std::string KokoroEngineTest::skip_;

TEST_F(KokoroEngineTest, OffersTheArchivesVoicesOfLanguagesItPhonemizes) {
  const auto engine = make_kokoro_engine(options());
  ASSERT_EQ(engine->unavailable(), "");
  EXPECT_EQ(engine->name(), "kokoro");
  EXPECT_EQ(engine->sample_rate(), 24000);
  EXPECT_EQ(engine->capabilities().parallel_jobs, 3);
  const auto voices = engine->voices();
  ASSERT_EQ(voices.size(), 2u) << "zf_gamma (Chinese) is not offered";
  EXPECT_EQ(voices[0].name, "af_alpha");
  EXPECT_EQ(voices[0].display_name, "Alpha (American English)");
  EXPECT_EQ(voices[0].language, "en-US");
  EXPECT_EQ(voices[0].gender, Gender::kFemale);
  EXPECT_EQ(voices[0].sample_rate, 24000);
  EXPECT_EQ(voices[1].name, "bm_beta");
  EXPECT_EQ(voices[1].language, "en-GB");
  EXPECT_EQ(voices[1].gender, Gender::kMale);
}

TEST_F(KokoroEngineTest, AudioCarriesThePaddedIdsTheStyleRowAndTheVoice) {
  const auto engine = make_kokoro_engine(options());
  const std::string text = "Hello world, this is Lector.";
  Recorder us, gb;
  ASSERT_TRUE(engine->synthesize("af_alpha", {}, text, us));
  ASSERT_TRUE(engine->synthesize("bm_beta", {}, text, gb));
  const auto runs = decode(us.samples, kBlock);
  EXPECT_EQ(runs, expected(*dir_, "en-us", text, 700));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_GT(runs[0].row, 10);
  EXPECT_EQ(decode(gb.samples, kBlock), expected(*dir_, "en-gb", text, 800));
}

TEST_F(KokoroEngineTest, SpeedAndVolumeReachTheAudio) {
  const auto engine = make_kokoro_engine(options());
  const std::string text = "Speed test.";
  for (const double speed : {0.5, 2.0}) {
    Recorder sink;
    SynthParams params;
    params.speed = speed;
    ASSERT_TRUE(engine->synthesize("af_alpha", params, text, sink));
    const auto block = static_cast<std::size_t>(std::lround(kBlock / speed));
    EXPECT_EQ(decode(sink.samples, block), expected(*dir_, "en-us", text, 700)) << speed;
  }
  Recorder quiet;
  SynthParams params;
  params.volume = 0.5;
  ASSERT_TRUE(engine->synthesize("af_alpha", params, text, quiet));
  EXPECT_EQ(decode(quiet.samples, kBlock, 0.5), expected(*dir_, "en-us", text, 700));
  EXPECT_EQ(quiet.samples[kMarker], static_cast<std::int16_t>(std::lround(0.5 * 0.7 * 32767)));
}

TEST_F(KokoroEngineTest, LongTextIsCutIntoRunsAndNothingIsLost) {
  const auto engine = make_kokoro_engine(options());
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "The quick brown fox jumps over the lazy dog, again and again. ";
  Recorder sink;
  ASSERT_TRUE(engine->synthesize("af_alpha", {}, text, sink));
  const auto runs = decode(sink.samples, kBlock);
  EXPECT_EQ(runs, expected(*dir_, "en-us", text, 700));
  ASSERT_GT(runs.size(), 2u);
  for (const DecodedRun& run : runs) {
    EXPECT_LE(run.row, 510);
    EXPECT_EQ(run.ids.size(), static_cast<std::size_t>(run.row) + 2) << "row = token count";
  }
  EXPECT_GT(sink.chunks, 2u) << "each run's audio is delivered as soon as it is made";
}

TEST_F(KokoroEngineTest, EveryVoiceFormatAndInputNameGivesTheSameAudio) {
  const std::string text = "Same audio, every format.";
  Recorder reference;
  ASSERT_TRUE(make_kokoro_engine(options())->synthesize("bm_beta", {}, text, reference));
  for (const char* voices : {"voices-deflated.npz", "voices"}) {
    Recorder sink;
    const auto engine = make_kokoro_engine(options(voices));
    ASSERT_EQ(engine->unavailable(), "") << voices;
    ASSERT_TRUE(engine->synthesize("bm_beta", {}, text, sink));
    EXPECT_EQ(sink.samples, reference.samples) << voices;
  }
  NeuralOptions tokens = options();
  tokens.kokoro_model = *dir_ + "/kokoro-tokens.onnx";
  tokens.kokoro_config = *dir_ + "/config.json";
  Recorder sink;
  ASSERT_TRUE(make_kokoro_engine(tokens)->synthesize("bm_beta", {}, text, sink));
  EXPECT_EQ(sink.samples, reference.samples);
}

TEST_F(KokoroEngineTest, ParallelSynthesesOnOneModelGiveEachTheirOwnAudio) {
  const auto engine = make_kokoro_engine(options());
  const std::vector<std::string> texts{"First text, here.", "Second one is longer than that.",
                                       "Third.", "A fourth text for the fourth thread."};
  std::vector<Recorder> sinks(texts.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < texts.size(); ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) {
        Recorder r;
        engine->synthesize(i % 2 ? "bm_beta" : "af_alpha", {}, texts[i], r);
        if (k == 0) sinks[i] = std::move(r);
      }
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(decode(sinks[i].samples, kBlock),
              expected(*dir_, i % 2 ? "en-gb" : "en-us", texts[i], i % 2 ? 800 : 700))
        << texts[i];
}

TEST_F(KokoroEngineTest, StopsWhenTheSinkSaysSo) {
  const auto engine = make_kokoro_engine(options());
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "The quick brown fox jumps over the lazy dog, again and again. ";
  Recorder sink;
  sink.stop_after = 1;
  EXPECT_FALSE(engine->synthesize("af_alpha", {}, text, sink));
  EXPECT_EQ(sink.chunks, 1u);
}

TEST_F(KokoroEngineTest, UnknownVoiceIsABadParameter) {
  const auto engine = make_kokoro_engine(options());
  Recorder sink;
  try {
    engine->synthesize("zf_gamma", {}, "hi", sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    EXPECT_EQ(e.param(), "voice");
  }
}

TEST_F(KokoroEngineTest, MissingOrBrokenPartsMakeItUnavailableWithTheReason) {
  const auto reason = [](const NeuralOptions& o) {
    const auto engine = make_kokoro_engine(o);
    EXPECT_TRUE(engine->voices().empty());
    Recorder sink;
    EXPECT_THROW(engine->synthesize("af_alpha", {}, "hi", sink), Error);
    return engine->unavailable();
  };
  NeuralOptions o = options("missing.npz");
  EXPECT_NE(reason(o).find(*dir_ + "/missing.npz"), std::string::npos) << reason(o);
  o = options();
  o.kokoro_model = *dir_ + "/none.onnx";
  EXPECT_NE(reason(o).find("none.onnx"), std::string::npos);
  o = options();
  o.kokoro_model = "";
  EXPECT_NE(reason(o).find("--kokoro-model"), std::string::npos);
  o = options();
  o.kokoro_config = *dir_ + "/voices.npz";
  EXPECT_NE(reason(o).find("voices.npz: not JSON"), std::string::npos) << reason(o);
  o = options();
  o.onnxruntime = *dir_ + "/no-runtime.so";
  EXPECT_NE(reason(o), "");
  // A model file that is not a model.
  const std::string corrupt = *dir_ + "/corrupt/kokoro.onnx";
  fs::create_directories(*dir_ + "/corrupt");
  std::ofstream(corrupt) << "this is not an ONNX model";
  fs::copy_file(*dir_ + "/config.json", *dir_ + "/corrupt/config.json",
                fs::copy_options::overwrite_existing);
  o = options();
  o.kokoro_model = corrupt;
  EXPECT_NE(reason(o).find(corrupt), std::string::npos) << reason(o);
}

}  // namespace
}  // namespace lector::engine::neural
