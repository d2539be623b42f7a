// Placing an engine's tokens in the text it was given (engine/word_align.h).

#include "engine/word_align.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace lector::engine {
namespace {

using Spans = std::vector<std::optional<WordSpan>>;

TEST(WordAlign, PlacesTokensBetweenWhitespaceAndPunctuation) {
  EXPECT_EQ(align_words("Hello, \"world\" -- again!", {"Hello", "world", "again"}),
            (Spans{WordSpan{0, 5}, WordSpan{8, 5}, WordSpan{18, 5}}));
}

TEST(WordAlign, ComparesAsciiWithoutCase) {
  EXPECT_EQ(align_words("HELLO World", {"hello", "WORLD"}),
            (Spans{WordSpan{0, 5}, WordSpan{6, 5}}));
}

TEST(WordAlign, CountsCodePointsNotBytes) {
  // "naïve" is 6 bytes and 5 code points; the engine (flite) reads the UTF-8 as is.
  EXPECT_EQ(align_words("naïve café now", {"naïve", "café", "now"}),
            (Spans{WordSpan{0, 5}, WordSpan{6, 4}, WordSpan{11, 3}}));
}

TEST(WordAlign, ATokenInsidePunctuationIsPlacedAsTheEngineCutIt) {
  // flite keeps "$" in the token; festival strips it as punctuation.
  EXPECT_EQ(align_words("It costs $3.50 today.", {"It", "costs", "3.50", "today"}),
            (Spans{WordSpan{0, 2}, WordSpan{3, 5}, WordSpan{10, 4}, WordSpan{15, 5}}));
  EXPECT_EQ(align_words("It costs $3.50.", {"It", "costs", "$3.50"}),
            (Spans{WordSpan{0, 2}, WordSpan{3, 5}, WordSpan{9, 5}}));
}

TEST(WordAlign, ATokenTheEngineRewroteIsSkippedAndTheNextOneFound) {
  EXPECT_EQ(align_words("one 2nd three", {"one", "second", "three"}),
            (Spans{WordSpan{0, 3}, std::nullopt, WordSpan{8, 5}}));
}

TEST(WordAlign, AfterASkipOnlyAWholeWordMatches) {
  // "an" occurs inside "banana" before the word "an": the skip may not land inside a word.
  EXPECT_EQ(align_words("xx banana an", {"yy", "an"}), (Spans{std::nullopt, WordSpan{10, 2}}));
}

TEST(WordAlign, APartOfAWordIsNeverTaken) {
  EXPECT_EQ(align_words("hello", {"he"}), (Spans{std::nullopt}));
  EXPECT_EQ(align_words("say hello", {"say", "lo"}), (Spans{WordSpan{0, 3}, std::nullopt}));
}

TEST(WordAlign, NeverSkipsFarToFindAToken) {
  EXPECT_EQ(align_words("a b c d e f", {"a", "f"}), (Spans{WordSpan{0, 1}, std::nullopt}));
  EXPECT_EQ(align_words("a b c d e", {"a", "e"}), (Spans{WordSpan{0, 1}, WordSpan{8, 1}}));
}

TEST(WordAlign, EmptyOrMissingTokensAreNotPlaced) {
  EXPECT_EQ(align_words("hello", {"", "bye", "hello"}),
            (Spans{std::nullopt, std::nullopt, WordSpan{0, 5}}));
  EXPECT_EQ(align_words("", {"a"}), (Spans{std::nullopt}));
}

TEST(WordAlign, TheFoldComparesTextAsTheEngineReadsIt) {
  // festival's English voices read ASCII: "é" arrives as "e".
  const WordAligner::Fold ascii = [](std::string_view cp) {
    return cp == "é" ? std::string("e") : std::string("?");
  };
  EXPECT_EQ(align_words("Café olé", {"Cafe", "ole"}, ascii),
            (Spans{WordSpan{0, 4}, WordSpan{5, 3}}));
  // A code point folded to two bytes still maps back to one.
  const WordAligner::Fold two = [](std::string_view) { return std::string("ss"); };
  EXPECT_EQ(align_words("Straße x", {"strasse", "x"}, two),
            (Spans{WordSpan{0, 6}, WordSpan{7, 1}}));
}

}  // namespace
}  // namespace lector::engine
