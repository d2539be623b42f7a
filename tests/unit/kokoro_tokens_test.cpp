// Kokoro's vocabulary and token runs (kokoro_tokens.h): ids per code point, unknown phonemes
// dropped, runs cut between clauses and never longer than the model takes.

#include "engine/neural/kokoro_tokens.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"

namespace lector::engine::neural {
namespace {

using Ids = std::vector<std::int64_t>;

// A vocabulary where each ASCII letter's id is its code (a = 97), the marks and the space too,
// and IPA's "ə" is 200 and "ˈ" 201; everything else is unknown.
KokoroVocab test_vocab() {
  std::string json =
      R"({"n_token": 178, "vocab": {"ə": 200, "ˈ": 201, "ab": 5, "neg": -1, "str": "x")";
  for (char c = 'a'; c <= 'z'; ++c)
    json += ", \"" + std::string(1, c) + "\": " + std::to_string(static_cast<int>(c));
  for (const char c : std::string(" ,;:.!?"))
    json += ", \"" + std::string(1, c) + "\": " + std::to_string(static_cast<int>(c));
  return KokoroVocab::parse(json + "}}", "config.json");
}

Ids ids(std::u32string_view text) {
  const KokoroVocab vocab = test_vocab();
  Ids out;
  for (const char32_t c : text)
    if (vocab.id(c) >= 0) out.push_back(vocab.id(c));
  return out;
}

TEST(KokoroVocab, MapsSingleCodePointsOnly) {
  const KokoroVocab vocab = test_vocab();
  EXPECT_EQ(vocab.id(U'ə'), 200);
  EXPECT_EQ(vocab.id(U'ˈ'), 201);
  EXPECT_EQ(vocab.id(U'a'), 97);
  EXPECT_EQ(vocab.id(U' '), 32);
  EXPECT_EQ(vocab.id(U'ˌ'), -1);
  // "ab" (two code points), a negative id and a non-number are not entries.
  EXPECT_EQ(vocab.size(), 2u + 26u + 7u);
}

TEST(KokoroVocab, RefusesConfigsWithoutAVocabulary) {
  for (const char* json :
       {"{not json", R"({"vocab": [1, 2]})", R"({"other": {}})", R"({"vocab": {"ab": 1}})"}) {
    try {
      KokoroVocab::parse(json, "/models/config.json");
      ADD_FAILURE() << json;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
      EXPECT_EQ(std::string(e.what()).rfind("/models/config.json: ", 0), 0u) << e.what();
    }
  }
  try {
    KokoroVocab::load("/nonexistent/config.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/config.json"), std::string::npos);
  }
}

TEST(KokoroRuns, ShortTextIsOneRunWithUnknownPhonemesDropped) {
  const auto runs = kokoro_runs(test_vocab(), U"hˈəlˌo, wɜld.");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], (Ids{'h', 201, 200, 'l', 'o', ',', ' ', 'w', 'l', 'd', '.'}));
  EXPECT_TRUE(kokoro_runs(test_vocab(), U"").empty());
  EXPECT_TRUE(kokoro_runs(test_vocab(), U"ɜɜ ɜ").size() == 1u);  // the space is known
  EXPECT_TRUE(kokoro_runs(test_vocab(), U"ɜɜɜ").empty());
}

TEST(KokoroRuns, CutsBetweenClausesDroppingOnlyTheSpaceThere) {
  // Clauses of 6, 5, 7 and 4 ids; at most 13 ids per run.
  const std::u32string text = U"abcde, fghi; jklmno. pqr?";
  const auto runs = kokoro_runs(test_vocab(), text, 13);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], ids(U"abcde, fghi;"));
  EXPECT_EQ(runs[1], ids(U"jklmno. pqr?"));
  // A mark not followed by a space does not end a clause.
  const auto glued = kokoro_runs(test_vocab(), U"ab.cd, ef", 6);
  ASSERT_EQ(glued.size(), 2u);
  EXPECT_EQ(glued[0], ids(U"ab.cd,"));
  EXPECT_EQ(glued[1], ids(U"ef"));
}

TEST(KokoroRuns, NoRunIsLongerThanTheModelTakesAndNothingIsLost) {
  std::u32string text;
  for (int i = 0; i < 120; ++i) text += i % 3 ? U"hˈəloʊ wɜld, " : U"ðɪs ɪz ə tˈɛst sɛntəns. ";
  text.pop_back();
  const auto runs = kokoro_runs(test_vocab(), text);
  ASSERT_GT(runs.size(), 2u);
  Ids joined;
  for (const Ids& run : runs) {
    EXPECT_LE(run.size(), kKokoroMaxTokens);
    EXPECT_TRUE(run.back() == ',' || run.back() == '.') << "a run ends at a clause";
    if (!joined.empty()) joined.push_back(' ');
    joined.insert(joined.end(), run.begin(), run.end());
  }
  EXPECT_EQ(joined, ids(text));
}

TEST(KokoroRuns, ALongClauseIsCutAtSpacesThenAtTheLimit) {
  const auto runs = kokoro_runs(test_vocab(), U"abc def ghij kl, mn", 8);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0], ids(U"abc def"));
  EXPECT_EQ(runs[1], ids(U"ghij kl,"));
  EXPECT_EQ(runs[2], ids(U"mn"));
  const auto hard = kokoro_runs(test_vocab(), U"abcdefghijklmnopqrst", 8);
  ASSERT_EQ(hard.size(), 3u);
  EXPECT_EQ(hard[0], ids(U"abcdefgh"));
  EXPECT_EQ(hard[1], ids(U"ijklmnop"));
  EXPECT_EQ(hard[2], ids(U"qrst"));
}

}  // namespace
}  // namespace lector::engine::neural
