// The test engine tone (built with LECTOR_TEST_ENGINE): exact, deterministic audio and word
// marks, and the directives end-to-end tests rely on. Its generic engine behaviour is covered
// with the other engines in engines_test.cpp.

#ifdef LECTOR_HAVE_TONE

#include "engine/tone_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace lector::engine {
namespace {

using Clock = std::chrono::steady_clock;

struct Mark {
  std::size_t offset, length;
  std::uint64_t sample;
  bool operator==(const Mark&) const = default;
};

// Records audio, marks and keep_going calls with the sample count and time of each.
class RecordingSink final : public AudioSink {
 public:
  bool on_audio(std::span<const std::int16_t> pcm) override {
    chunk_sizes.push_back(pcm.size());
    samples.insert(samples.end(), pcm.begin(), pcm.end());
    chunk_times.push_back(Clock::now());
    return true;
  }
  void on_word(std::size_t offset, std::size_t length, std::uint64_t sample) override {
    marks.push_back({offset, length, sample});
  }
  bool keep_going() override {
    keep_going_at.push_back(samples.size());
    return !cancel_in_keep_going;
  }
  std::vector<std::int16_t> samples;
  std::vector<std::size_t> chunk_sizes;
  std::vector<Clock::time_point> chunk_times;
  std::vector<Mark> marks;
  std::vector<std::size_t> keep_going_at;
  bool cancel_in_keep_going = false;
};

int peak(const std::vector<std::int16_t>& s, std::size_t from, std::size_t to) {
  int p = 0;
  for (std::size_t i = from; i < to; ++i) p = std::max(p, std::abs(static_cast<int>(s[i])));
  return p;
}

TEST(ToneEngine, EachWordIsATenthOfASecondInTwentyMillisecondChunksAfterItsMark) {
  ToneEngine tone;
  RecordingSink sink;
  EXPECT_TRUE(tone.synthesize("tone", {}, "one two  three", sink));
  EXPECT_EQ(sink.samples.size(), 3u * 1600);
  EXPECT_EQ(sink.chunk_sizes, std::vector<std::size_t>(15, 320));
  EXPECT_EQ(sink.marks, (std::vector<Mark>{{0, 3, 0}, {4, 3, 1600}, {9, 5, 3200}}));
  EXPECT_GT(peak(sink.samples, 0, 1600), 16000);

  RecordingSink narrow;
  EXPECT_TRUE(tone.synthesize("tone8", {}, "one two", narrow));
  EXPECT_EQ(narrow.samples.size(), 2u * 800);
  EXPECT_EQ(narrow.chunk_sizes, std::vector<std::size_t>(10, 160));
  EXPECT_EQ(narrow.marks, (std::vector<Mark>{{0, 3, 0}, {4, 3, 800}}));
}

TEST(ToneEngine, SpeedShortensAndVolumeScalesIt) {
  ToneEngine tone;
  RecordingSink normal, fast, quiet;
  tone.synthesize("tone", {}, "a b", normal);
  tone.synthesize("tone", {.speed = 2.0}, "a b", fast);
  tone.synthesize("tone", {.volume = 0.5}, "a b", quiet);
  EXPECT_EQ(fast.samples.size(), 1600u);
  EXPECT_EQ(fast.marks, (std::vector<Mark>{{0, 1, 0}, {2, 1, 800}}));
  ASSERT_EQ(quiet.samples.size(), normal.samples.size());
  EXPECT_NEAR(peak(quiet.samples, 0, 3200), peak(normal.samples, 0, 3200) / 2, 2);
  // Deterministic: the same request gives the same samples.
  RecordingSink again;
  tone.synthesize("tone", {}, "a b", again);
  EXPECT_EQ(again.samples, normal.samples);
}

TEST(ToneEngine, WordOffsetsAreCodePointsAndPunctuationIsNoWord) {
  ToneEngine tone;
  RecordingSink sink;
  tone.synthesize("tone", {}, "Grüße, café \u2014 ... 日本", sink);
  EXPECT_EQ(sink.marks, (std::vector<Mark>{{0, 6, 0}, {7, 4, 1600}, {18, 2, 3200}}));
  EXPECT_EQ(sink.samples.size(), 3u * 1600);
}

TEST(ToneEngine, SilenceIsZerosAndNotAWord) {
  ToneEngine tone;
  RecordingSink sink;
  tone.synthesize("tone", {.speed = 2.0}, "a [silence:50] b[silence:20]c", sink);
  // a (800), 50 ms of zeros (800), b (800), 20 ms of zeros (320), c (800).
  ASSERT_EQ(sink.samples.size(), 800u + 800 + 800 + 320 + 800);
  EXPECT_EQ(peak(sink.samples, 800, 1600), 0);
  EXPECT_GT(peak(sink.samples, 1600, 2400), 0);
  EXPECT_EQ(peak(sink.samples, 2400, 2720), 0);
  EXPECT_EQ(sink.marks, (std::vector<Mark>{{0, 1, 0}, {15, 1, 1600}, {28, 1, 2720}}));
}

TEST(ToneEngine, MalformedDirectivesAreOrdinaryText) {
  ToneEngine tone;
  RecordingSink sink;
  EXPECT_TRUE(tone.synthesize(
      "tone", {}, "[delay:abc] [silence:] [delay:-1] [silence:600001] [Crash] [fail", sink));
  EXPECT_EQ(sink.marks.size(), 6u);
  EXPECT_EQ(sink.samples.size(), 6u * 1600);
}

TEST(ToneEngine, DelayDeliversEarlierAudioFirstThenWaits) {
  ToneEngine tone;
  RecordingSink sink;
  const auto start = Clock::now();
  EXPECT_TRUE(tone.synthesize("tone", {}, "a [delay:200] b", sink));
  ASSERT_EQ(sink.samples.size(), 3200u);
  // The sink was asked to deliver what it holds before the wait, with all of a's audio.
  ASSERT_FALSE(sink.keep_going_at.empty());
  EXPECT_EQ(sink.keep_going_at.front(), 1600u);
  // b's first chunk came at least 200 ms after a's last one.
  EXPECT_GE(sink.chunk_times[5] - sink.chunk_times[4], std::chrono::milliseconds(200));
  EXPECT_LT(sink.chunk_times[4] - start, std::chrono::milliseconds(150));
}

TEST(ToneEngine, CancelDuringADelayStopsAtOnce) {
  ToneEngine tone;
  RecordingSink sink;
  sink.cancel_in_keep_going = true;
  const auto start = Clock::now();
  EXPECT_FALSE(tone.synthesize("tone", {}, "a [delay:5000] b", sink));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(sink.samples.size(), 1600u) << "audio after the cancel";
}

TEST(ToneEngine, FailIsAnEngineErrorAfterTheAudioBeforeIt) {
  ToneEngine tone;
  RecordingSink sink;
  try {
    tone.synthesize("tone", {}, "a [fail] b", sink);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kEngineFailed);
  }
  EXPECT_EQ(sink.samples.size(), 1600u);
  RecordingSink next;
  EXPECT_TRUE(tone.synthesize("tone", {}, "a", next));
  EXPECT_EQ(next.samples.size(), 1600u);
}

TEST(ToneEngine, UnknownVoiceIsABadParameter) {
  ToneEngine tone;
  RecordingSink sink;
  EXPECT_THROW(tone.synthesize("tone16", {}, "a", sink), Error);
}

TEST(ToneEngineDeathTest, CrashAbortsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ToneEngine tone;
        RecordingSink sink;
        tone.synthesize("tone", {}, "a [crash] b", sink);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGABRT), "");
}

TEST(ToneEngineDeathTest, HangIgnoresCancelForEver) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child proves the hang by still being inside synthesize when its watchdog fires.
  EXPECT_EXIT(
      {
        std::thread([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          std::_Exit(42);
        }).detach();
        ToneEngine tone;
        RecordingSink sink;
        sink.cancel_in_keep_going = true;
        tone.synthesize("tone", {}, "a [hang] b", sink);
        std::_Exit(sink.keep_going_at == std::vector<std::size_t>{1600} ? 1 : 2);
      },
      ::testing::ExitedWithCode(42), "");
}

}  // namespace
}  // namespace lector::engine

#endif  // LECTOR_HAVE_TONE
