// Word timings of the in-process engines (AudioSink::on_word), driven the way a worker drives
// them: marks arrive before the audio containing the word, in order, within the audio, and
// name the words as written in the text. Engines not compiled in are skipped.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace lector::engine {
namespace {

bool compiled_in(const std::string& name) {
  const std::vector<std::string> names = engine_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Festival may be initialised once per process; a second FestivalEngine on the same thread
// shares it, so these tests may live beside engines_test.cpp's.
Engine& engine(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Engine>> engines;
  std::unique_ptr<Engine>& e = engines[name];
  if (!e) e = make_engine(name);
  return *e;
}

struct Word {
  std::string text;             // the text's code points the mark names
  std::uint64_t sample_offset;  // where the engine says it starts
  std::size_t samples_before;   // audio the sink had when the mark arrived
};

// Code points [offset, offset + length) of UTF-8 `s`.
std::string code_points(const std::string& s, std::size_t offset, std::size_t length) {
  std::size_t cp = 0, begin = std::string::npos, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (cp == offset) begin = i;
    if (cp == offset + length) break;
    ++cp;
  }
  return begin == std::string::npos ? std::string() : s.substr(begin, i - begin);
}

class WordSink final : public AudioSink {
 public:
  explicit WordSink(std::string text) : text_(std::move(text)) {}
  bool on_audio(std::span<const std::int16_t> pcm) override {
    samples += pcm.size();
    return true;
  }
  void on_word(std::size_t offset, std::size_t length, std::uint64_t sample_offset) override {
    words.push_back({code_points(text_, offset, length), sample_offset, samples});
  }
  std::vector<Word> words;
  std::size_t samples = 0;

 private:
  std::string text_;
};

struct Case {
  std::string engine;
  std::string voice;
  std::string text;
  std::vector<std::string> words;  // expected, as written
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.engine << ":" << c.voice;
}

class EngineWords : public ::testing::TestWithParam<Case> {};

TEST_P(EngineWords, MarkEachWordAsWrittenInOrderWithinTheAudio) {
  const Case& c = GetParam();
  if (!compiled_in(c.engine)) GTEST_SKIP() << c.engine << " is not compiled in";
  Engine& e = engine(c.engine);
  ASSERT_TRUE(e.capabilities().word_timings);
  WordSink sink(c.text);
  ASSERT_TRUE(e.synthesize(c.voice, {}, c.text, sink));
  std::vector<std::string> texts;
  for (const Word& w : sink.words) texts.push_back(w.text);
  EXPECT_EQ(texts, c.words);
  int rate = 0;
  for (const VoiceInfo& v : e.voices())
    if (v.name == c.voice) rate = v.sample_rate;
  for (std::size_t i = 0; i < sink.words.size(); ++i) {
    const Word& w = sink.words[i];
    // The contract in engine.h: a word's mark precedes the audio that contains its start.
    EXPECT_LE(w.samples_before, w.sample_offset) << w.text;
    EXPECT_LT(w.sample_offset, sink.samples) << w.text << " starts after the audio ends";
    if (i > 0) {
      EXPECT_GT(w.sample_offset, sink.words[i - 1].sample_offset) << w.text;
      // A word lasts more than 50 ms: a mark that is not, is not a word's start.
      EXPECT_GT(w.sample_offset - sink.words[i - 1].sample_offset,
                static_cast<std::uint64_t>(rate / 20))
          << sink.words[i - 1].text << " -> " << w.text;
    }
  }
}

const std::string kTwo = "Hello, \"world\"! It costs $3.50 -- twice. Second sentence here.";
const std::vector<std::string> kTwoWords = {"Hello", "world",  "It",       "costs", "$3.50",
                                            "twice", "Second", "sentence", "here"};

INSTANTIATE_TEST_SUITE_P(
    Voices, EngineWords,
    ::testing::Values(
        Case{"flite", "slt", kTwo, kTwoWords}, Case{"flite", "kal", kTwo, kTwoWords},
        Case{"flite", "awb", "naïve café, fine.", {"naïve", "café", "fine"}},
        Case{"festival", "kal_diphone", kTwo, kTwoWords},
        Case{"festival", "cmu_us_slt_arctic_hts", "One. Two three.", {"One", "Two", "three"}},
        // The Czech voice reads ISO-8859-2: the words are compared in its charset.
        Case{"festival", "czech_dita", "Příliš žluťoučký kůň.", {"Příliš", "žluťoučký", "kůň"}}),
    [](const ::testing::TestParamInfo<Case>& param) {
      return param.param.engine + "_" + param.param.voice;
    });

}  // namespace
}  // namespace lector::engine
