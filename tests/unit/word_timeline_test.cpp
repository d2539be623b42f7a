// Timed words of the client's text from an AudioBody's timings (api/word_timeline.h), and WebVTT.

#include "api/word_timeline.h"

#include <gtest/gtest.h>

namespace lector::api {
namespace {

using Kind = AudioBody::Timing::Kind;

AudioBody::Timing word(std::size_t segment, std::size_t offset, std::size_t length, double s) {
  return {Kind::kWord, 0, segment, offset, length, s};
}
AudioBody::Timing end(std::size_t segment, double s) {
  return {Kind::kSegmentEnd, 0, segment, 0, 0, s};
}

TEST(WordTimeline, WordsAreTheClientsTextAndEndWhereTheNextStartsOrTheSegmentEnds) {
  const std::string source = "Héllo world. Bye.";
  std::vector<text::MappedText> segments = {text::identity_map("Héllo world.", 0),
                                            text::identity_map("Bye.", 13)};
  WordTimeline t(source, segments);
  const std::vector<TimedWord> started = t.add({word(0, 0, 5, 0.1), word(0, 6, 5, 0.5)});
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].word, "Héllo");
  EXPECT_EQ(started[1].word, "world");
  EXPECT_LT(started[1].end_seconds, 0.0) << "not known yet";
  t.add({end(0, 0.9), word(1, 0, 3, 1.2), end(1, 1.6)});
  const auto& w = t.words();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_DOUBLE_EQ(w[0].end_seconds, 0.5);
  EXPECT_DOUBLE_EQ(w[1].end_seconds, 0.9);
  EXPECT_EQ(w[2].word, "Bye");
  EXPECT_EQ(w[2].start, 13u);
  EXPECT_EQ(w[2].end, 16u);
  EXPECT_DOUBLE_EQ(w[2].end_seconds, 1.6);
}

TEST(WordTimeline, SpokenWordsOfOneWrittenWordMakeOneWord) {
  // "$3" spoken as "three dollars": both spoken words map to the source's "$3".
  text::MappedText seg;
  seg.append("three dollars", text::SourceSpan{4, 6});
  seg.append(" now", text::SourceSpan{6, 10});
  WordTimeline t("Pay $3 now", {seg});
  t.add({word(0, 0, 5, 0.2), word(0, 6, 7, 0.4), word(0, 14, 3, 0.8), end(0, 1.0)});
  ASSERT_EQ(t.words().size(), 2u);
  EXPECT_EQ(t.words()[0].word, "$3");
  EXPECT_DOUBLE_EQ(t.words()[0].start_seconds, 0.2);
  EXPECT_DOUBLE_EQ(t.words()[0].end_seconds, 0.8);
}

TEST(WordTimeline, MarksOutsideTheirSegmentAreIgnored) {
  WordTimeline t("Hi.", {text::identity_map("Hi.", 0)});
  EXPECT_TRUE(t.add({word(0, 2, 5, 0.1), word(3, 0, 1, 0.1), word(0, 0, 0, 0.1)}).empty());
}

TEST(WebVtt, OneCuePerWord) {
  std::vector<TimedWord> words(2);
  words[0].word = "Hello";
  words[0].start_seconds = 0.25;
  words[0].end_seconds = 0.75;
  words[1].word = "a-->b";
  words[1].start_seconds = 3661.5;
  words[1].end_seconds = -1;  // unknown: half a second
  EXPECT_EQ(webvtt(words),
            "WEBVTT\n\n00:00:00.250 --> 00:00:00.750\nHello\n\n"
            "01:01:01.500 --> 01:01:02.000\na->b\n");
}

}  // namespace
}  // namespace lector::api
