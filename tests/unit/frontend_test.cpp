// The text front end's map from spoken segments back to the client's text: every word of every
// segment points at the same word in the source, whatever the split of a streamed text.
#include "text/frontend.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/utf8.h"

namespace lector::text {
namespace {

std::string source_text(std::string_view source, SourceSpan span) {
  return std::string(utf8_substr(source, span.start, span.end - span.start));
}

// Each space-separated word of each segment, and the source text its span covers.
std::vector<std::pair<std::string, std::string>> words_and_sources(
    std::string_view source, const std::vector<MappedText>& segments) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const MappedText& m : segments) {
    std::size_t start = 0;
    const std::size_t n = count_code_points(m.text);
    for (std::size_t i = 0; i <= n; ++i) {
      const bool end = i == n || utf8_substr(m.text, i, 1) == " ";
      if (!end) continue;
      if (i > start)
        out.emplace_back(std::string(utf8_substr(m.text, start, i - start)),
                         source_text(source, source_of(m, start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

FrontendOptions plain() {
  FrontendOptions o;
  o.normalize = false;
  o.language = "en";
  return o;
}

TEST(FrontendTest, WordsPointAtTheSameWordsInTheSource) {
  const std::string source = "  Hello\tthere,  world.\n\nHow are\r\n you?  Très bien — 東京!";
  const auto segments = prepare(source, plain());
  ASSERT_GE(segments.size(), 2u);
  const auto pairs = words_and_sources(source, segments);
  ASSERT_FALSE(pairs.empty());
  for (const auto& [word, src] : pairs) EXPECT_EQ(word, src);
}

TEST(FrontendTest, AnySplitOfAStreamGivesTheSameSegmentsAndSpans) {
  const std::string source = "First sentence here. Second one, with a clause; and more!\nThird.";
  const auto whole = prepare(source, plain());
  for (std::size_t cut = 1; cut < source.size(); ++cut) {
    Frontend f(plain());
    auto got = f.feed(std::string_view(source).substr(0, cut));
    for (auto& m : f.feed(std::string_view(source).substr(cut))) got.push_back(std::move(m));
    for (auto& m : f.flush()) got.push_back(std::move(m));
    ASSERT_EQ(got.size(), whole.size()) << cut;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].text, whole[i].text) << cut;
      EXPECT_EQ(got[i].spans, whole[i].spans) << cut;
    }
  }
}

TEST(FrontendTest, AWordHeldByTheCleanUpDoesNotHoldBackTheSentenceBeforeIt) {
  FrontendOptions o;
  o.language = "en";
  Frontend f(o);
  EXPECT_TRUE(f.feed("Alpha **be").empty());
  const auto got = f.feed("ta**. Gam");  // "Gam" may still become markup or an address
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "Alpha beta.");
  const auto rest = f.flush();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].text, "Gam");
  EXPECT_EQ(source_of(rest[0], 0, 3), (SourceSpan{16, 19}));
}

TEST(FrontendTest, OffsetsRestartAfterFlush) {
  Frontend f(plain());
  (void)f.feed("One two.");
  (void)f.flush();
  const auto second = f.feed("Three four. Five");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].text, "Three four.");
  EXPECT_EQ(source_of(second[0], 0, 5), (SourceSpan{0, 5}));
}

TEST(FrontendTest, BlankSegmentsAreDropped) {
  EXPECT_TRUE(prepare(" \n\t ", plain()).empty());
}

}  // namespace
}  // namespace lector::text
