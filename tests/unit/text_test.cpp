// Golden cases for src/text: UTF-8 checks, normalization and segmentation as a listener would
// notice them (where audio pauses, what is read, whether any word goes missing).

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "long_text.h"
#include "text/segmenter.h"
#include "text/utf8.h"

namespace lector::text {
namespace {

using Segments = std::vector<std::string>;

// White-space-separated tokens; the test inputs separate words with ASCII white space.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::string join(const Segments& segments) {
  std::string joined;
  for (const std::string& segment : segments) {
    if (!joined.empty()) joined.push_back(' ');
    joined += segment;
  }
  return joined;
}

// The contract of split_segments for inputs whose words are all shorter than the cap.
void expect_well_formed(std::string_view input, const Segments& segments, std::size_t cap) {
  for (const std::string& segment : segments) {
    SCOPED_TRACE(segment);
    ASSERT_FALSE(segment.empty());
    EXPECT_NE(segment.front(), ' ');
    EXPECT_NE(segment.back(), ' ');
    EXPECT_TRUE(is_valid_utf8(segment));
    EXPECT_LE(count_code_points(segment), cap);
  }
  EXPECT_EQ(words_of(join(segments)), words_of(input));
}

using testdata::kLongText;

// ---------------------------------------------------------------------------------------------
// is_valid_utf8

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("Hello, world."));
  EXPECT_TRUE(is_valid_utf8("Grüße"));
  EXPECT_TRUE(is_valid_utf8("你好"));
  EXPECT_TRUE(is_valid_utf8("😀"));                          // U+1F600, 4 bytes
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));  // U+0000 is well-formed
}

TEST(Utf8Test, AcceptsTheEdgesOfEachRange) {
  EXPECT_TRUE(is_valid_utf8("\x7F"));              // U+007F, last 1-byte
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));          // U+0080, first 2-byte
  EXPECT_TRUE(is_valid_utf8("\xDF\xBF"));          // U+07FF, last 2-byte
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, first 3-byte
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above the surrogates
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, first 4-byte
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8Test, RejectsOverlongEncodings) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));  // '/' in two bytes
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(Utf8Test, RejectsSurrogates) {
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));              // U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));              // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 style surrogate pair
}

TEST(Utf8Test, RejectsCodePointsAboveTheUnicodeRange) {
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // old 5-byte form
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xFE"));
}

TEST(Utf8Test, RejectsTruncatedAndStraySequences) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));           // lead byte at the end
  EXPECT_FALSE(is_valid_utf8("\xE4\xBD"));       // 3-byte sequence cut after 2
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));   // emoji cut after 3
  EXPECT_FALSE(is_valid_utf8("a\xC3z"));         // continuation replaced by ASCII
  EXPECT_FALSE(is_valid_utf8("\xE4\xBDz\xA0"));  // ASCII inside a sequence
  EXPECT_FALSE(is_valid_utf8("\x80"));           // continuation without a lead
  EXPECT_FALSE(is_valid_utf8("abc\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98\x80\x80"));  // one continuation too many
}

// ---------------------------------------------------------------------------------------------
// count_code_points

TEST(Utf8Test, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points(""), 0U);
  EXPECT_EQ(count_code_points("abc"), 3U);
  EXPECT_EQ(count_code_points("Grüße"), 5U);
  EXPECT_EQ(count_code_points("你好。"), 3U);
  EXPECT_EQ(count_code_points("😀a"), 2U);
  EXPECT_EQ(count_code_points("e\xCC\x81"), 2U);  // e + combining acute: two code points
}

// ---------------------------------------------------------------------------------------------
// normalize

TEST(NormalizeTest, CollapsesAndTrimsWhiteSpace) {
  EXPECT_EQ(normalize("  Hello \t world \n\n "), "Hello world");
  EXPECT_EQ(normalize("a\r\nb"), "a b");
  EXPECT_EQ(normalize("one\vtwo\fthree"), "one two three");
  EXPECT_EQ(normalize("already clean"), "already clean");
}

TEST(NormalizeTest, TurnsUnicodeSeparatorsIntoSpaces) {
  EXPECT_EQ(normalize("line\xE2\x80\xA8next"), "line next");     // U+2028
  EXPECT_EQ(normalize("para\xE2\x80\xA9next"), "para next");     // U+2029
  EXPECT_EQ(normalize("nel\xC2\x85next"), "nel next");           // U+0085, a C1 control
  EXPECT_EQ(normalize("no\xC2\xA0space"), "no space");           // U+00A0
  EXPECT_EQ(normalize("\xE3\x80\x80wide\xE3\x80\x80"), "wide");  // U+3000
  EXPECT_EQ(normalize("a \xE2\x80\x83\t b"), "a b");             // a mixed run is one space
}

TEST(NormalizeTest, RemovesControlsAndByteOrderMarks) {
  EXPECT_EQ(normalize("\xEF\xBB\xBFHello"), "Hello");       // leading BOM
  EXPECT_EQ(normalize("one\xEF\xBB\xBFtwo"), "onetwo");     // BOM inside
  EXPECT_EQ(normalize("ab\x07xy\x1B"), "abxy");             // C0 inside a word
  EXPECT_EQ(normalize("ab\x7Fxy"), "abxy");                 // DEL
  EXPECT_EQ(normalize("ab\xC2\x80xy\xC2\x9F"), "abxy");     // C1
  EXPECT_EQ(normalize(std::string_view("a\0b", 3)), "ab");  // NUL
  EXPECT_EQ(normalize("a \x01 b"), "a b");  // a removed control does not split a space run
}

TEST(NormalizeTest, KeepsEverythingElse) {
  // Letters, CJK, emoji, a combining accent (e + U+0301), dashes and symbols.
  const std::string text = "Grüße, 你好。 😀 e\xCC\x81 — $3.50! ¿Qué? «Oui»";
  EXPECT_EQ(normalize(text), text);
}

TEST(NormalizeTest, EmptyAndBlankInputGiveEmptyOutput) {
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize(" \t\r\n \xE2\x80\xA8 "), "");
  EXPECT_EQ(normalize("\x01\x02\xEF\xBB\xBF"), "");
}

TEST(NormalizeTest, IsIdempotentAndKeepsTextValid) {
  const std::string messy = " \xEF\xBB\xBF Line one.\r\n\tLine\x0B two\xE2\x80\xA8 \x1F end ";
  const std::string once = normalize(messy);
  EXPECT_EQ(once, "Line one. Line two end");
  EXPECT_EQ(normalize(once), once);
  EXPECT_TRUE(is_valid_utf8(once));
}

// ---------------------------------------------------------------------------------------------
// split_segments: sentences

TEST(SegmenterTest, SplitsSimpleEnglishSentences) {
  EXPECT_EQ(split_segments("Hello world. How are you? I am fine!", "en-us"),
            (Segments{"Hello world.", "How are you?", "I am fine!"}));
}

TEST(SegmenterTest, AbbreviationsAndDecimalsDoNotEndASentence) {
  EXPECT_EQ(split_segments("Dr. Smith paid $3.50. He left.", "en-us"),
            (Segments{"Dr. Smith paid $3.50.", "He left."}));
  EXPECT_EQ(split_segments("Mr. Jones met Mrs. Brown and Prof. Green. They talked.", "en"),
            (Segments{"Mr. Jones met Mrs. Brown and Prof. Green.", "They talked."}));
  EXPECT_EQ(split_segments("Pi is about 3.14159 and e is 2.71828. Both are irrational.", "en"),
            (Segments{"Pi is about 3.14159 and e is 2.71828.", "Both are irrational."}));
  EXPECT_EQ(split_segments("Bring fruit, e.g. Apples or pears. Then go.", "en"),
            (Segments{"Bring fruit, e.g. Apples or pears.", "Then go."}));
  EXPECT_EQ(split_segments("It was (Dr. Watson) who came. He knocked.", "en"),
            (Segments{"It was (Dr. Watson) who came.", "He knocked."}));
}

// ICU's FilteredBreakIteratorBuilder matches its abbreviation lists as bare suffixes, so "kam."
// (German lists "am.") and "Philipp." (English lists "pp.") would hide these sentence ends.
TEST(SegmenterTest, AbbreviationsMatchWholeWordsOnly) {
  EXPECT_EQ(split_segments("My name is Philipp. Just because.", "en"),
            (Segments{"My name is Philipp.", "Just because."}));
  EXPECT_EQ(split_segments("Dr. Müller kam. Er ging.", "de"),
            (Segments{"Dr. Müller kam.", "Er ging."}));
  EXPECT_EQ(split_segments("Sie kam langsam. Er ging.", "de"),
            (Segments{"Sie kam langsam.", "Er ging."}));
}

TEST(SegmenterTest, AbbreviationBeforeALineBreakStillEndsTheLine) {
  EXPECT_EQ(split_segments("Call Dr.\nWho is there?", "en"),
            (Segments{"Call Dr.", "Who is there?"}));
}

TEST(SegmenterTest, QuestionAndExclamationMarksEndSentences) {
  EXPECT_EQ(split_segments("Really? Yes! Wow!! Is it?! Okay... Fine.", "en"),
            (Segments{"Really?", "Yes!", "Wow!!", "Is it?!", "Okay...", "Fine."}));
}

TEST(SegmenterTest, NonAsciiTextKeepsItsBytes) {
  // Boundaries come back as byte offsets; a UTF-16 offset used as a byte offset would cut these
  // sentences in the wrong place.
  EXPECT_EQ(split_segments("Grüße aus Köln. Wie geht's?", "de"),
            (Segments{"Grüße aus Köln.", "Wie geht's?"}));
  EXPECT_EQ(split_segments("Ça va? Très bien. 😀 Merci.", "fr"),
            (Segments{"Ça va?", "Très bien.", "😀 Merci."}));
}

TEST(SegmenterTest, GermanOrdinalsDoNotEndASentence) {
  EXPECT_EQ(split_segments("Das ist z.B. gut. Er kam am 3. Mai. Das war 2020. Dann ging er.", "de"),
            (Segments{"Das ist z.B. gut.", "Er kam am 3. Mai.", "Das war 2020.", "Dann ging er."}));
  // English has no ordinal dot: the number ends the sentence.
  EXPECT_EQ(split_segments("He turned 3. Then he grew.", "en"),
            (Segments{"He turned 3.", "Then he grew."}));
}

TEST(SegmenterTest, ChineseAndJapaneseSentences) {
  EXPECT_EQ(split_segments("你好。今天天气很好。", "cmn"), (Segments{"你好。", "今天天气很好。"}));
  EXPECT_EQ(split_segments("こんにちは。元気ですか？", "ja"),
            (Segments{"こんにちは。", "元気ですか？"}));
}

TEST(SegmenterTest, LineBreaksEndSegments) {
  EXPECT_EQ(split_segments("Title\n\nBody text here. More.", "en"),
            (Segments{"Title", "Body text here.", "More."}));
}

TEST(SegmenterTest, BlankInputGivesNoSegments) {
  EXPECT_TRUE(split_segments("", "en").empty());
  EXPECT_TRUE(split_segments(" \n\t  \n", "en").empty());
  EXPECT_EQ(split_segments("   Hello.   ", "en"), (Segments{"Hello."}));
  EXPECT_EQ(split_segments("no final stop", "en"), (Segments{"no final stop"}));
}

TEST(SegmenterTest, AcceptsEspeakVoiceNamesAndTags) {
  const Segments expected{"Dr. Smith paid $3.50.", "He left."};
  for (const char* language :
       {"en", "en-us", "en-gb-x-rp", "en-us+f3", "en_US", "EN-US", "en-029", "en-GB-scotland"}) {
    SCOPED_TRACE(language);
    EXPECT_EQ(split_segments("Dr. Smith paid $3.50. He left.", language), expected);
  }
}

TEST(SegmenterTest, UnknownLanguagesFallBackToRootRules) {
  // Root rules know sentence ends but no language's abbreviations.
  const std::string long_name(1000, 'x');
  const std::vector<std::string> languages = {"",           "cmn", "xx",  "zz-qq",
                                              "not a tag!", "nl",  "x+y", long_name};
  for (const std::string& language : languages) {
    SCOPED_TRACE(language);
    EXPECT_EQ(split_segments("Hello there. Bye now! Why?", language),
              (Segments{"Hello there.", "Bye now!", "Why?"}));
    EXPECT_EQ(split_segments("Dr. Smith paid $3.50. He left.", language),
              (Segments{"Dr.", "Smith paid $3.50.", "He left."}));
  }
}

TEST(SegmenterTest, IllFormedInputDoesNotBreakSegmentation) {
  const std::string text = "abc \xFF\xFE def. Next \xE4\xBD one. \xC3";
  const Segments segments = split_segments(text, "en");
  ASSERT_EQ(segments.size(), 3U);
  EXPECT_EQ(segments[0], "abc \xFF\xFE def.");
  EXPECT_EQ(segments[1], "Next \xE4\xBD one.");
  EXPECT_EQ(segments[2], "\xC3");
  // Even cut into tiny pieces, every byte that is not white space comes out again, in order.
  const auto without_spaces = [](std::string_view bytes) {
    std::string kept;
    for (const char c : bytes) {
      if (c != ' ') kept.push_back(c);
    }
    return kept;
  };
  std::string rejoined;
  for (const std::string& piece : split_segments(text, "en", {.max_segment_chars = 2})) {
    EXPECT_FALSE(piece.empty());
    rejoined += piece;
  }
  EXPECT_EQ(without_spaces(rejoined), without_spaces(text));
}

// ---------------------------------------------------------------------------------------------
// split_segments: length cap

TEST(SegmenterTest, LongSentenceWithoutPunctuationIsCutBetweenWords) {
  const std::vector<std::string> vocabulary = {"river", "a",      "meadow", "lighthouse",
                                               "of",    "keeper", "stone",  "extraordinarily",
                                               "wind",  "the",    "harbor", "and"};
  std::string text;
  for (std::size_t i = 0; text.size() < 1000; ++i) {
    if (!text.empty()) text.push_back(' ');
    text += vocabulary[(i * 7) % vocabulary.size()];
  }
  ASSERT_GE(count_code_points(text), 1000U);

  const Segments segments = split_segments(text, "en-us");
  ASSERT_GE(segments.size(), 4U);
  expect_well_formed(text, segments, 300);
  // Cuts go at the last space before the cap, so no piece but the last is much shorter.
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    EXPECT_GT(count_code_points(segments[i]), 300U - std::string("extraordinarily").size() - 1);
  }
}

TEST(SegmenterTest, LongSentenceIsCutAtTheLastClauseMarkBeforeTheCap) {
  const SegmenterOptions options{.max_segment_chars = 40};
  EXPECT_EQ(
      split_segments("alpha beta gamma, delta epsilon zeta eta theta iota kappa lambda mu", "en",
                     options),
      (Segments{"alpha beta gamma,", "delta epsilon zeta eta theta iota kappa", "lambda mu"}));
  EXPECT_EQ(split_segments("one two; three four five: six seven eight nine ten eleven twelve", "en",
                           options),
            (Segments{"one two; three four five:", "six seven eight nine ten eleven twelve"}));
  EXPECT_EQ(split_segments("We walked home — slowly — then we slept well", "en",
                           {.max_segment_chars = 30}),
            (Segments{"We walked home — slowly —", "then we slept well"}));
}

TEST(SegmenterTest, CommasInsideNumbersAndClosingQuotesAreRespected) {
  EXPECT_EQ(split_segments("We counted 1,000,000 stars, then we slept well tonight.", "en",
                           {.max_segment_chars = 30}),
            (Segments{"We counted 1,000,000 stars,", "then we slept well tonight."}));
  EXPECT_EQ(split_segments("He said \"yes,\" and then he left the room quietly.", "en",
                           {.max_segment_chars = 20}),
            (Segments{"He said \"yes,\"", "and then he left the", "room quietly."}));
}

TEST(SegmenterTest, CapCountsCodePointsNotBytes) {
  std::string text;
  while (count_code_points(text) < 200) text += "Größe über ";
  text += "Äpfel.";
  const Segments segments = split_segments(text, "de", {.max_segment_chars = 50});
  expect_well_formed(text, segments, 50);
  ASSERT_GE(segments.size(), 4U);
  // The first piece is full in code points, which is well over the cap in bytes.
  EXPECT_GT(segments[0].size(), 50U);
}

TEST(SegmenterTest, ChineseIsCutAtIdeographicCommas) {
  const std::string text = "今天天气很好，我们去公园散步吧。";
  EXPECT_EQ(split_segments(text, "cmn", {.max_segment_chars = 10}),
            (Segments{"今天天气很好，", "我们去公园散步吧。"}));
}

TEST(SegmenterTest, WordLongerThanTheCapIsCutAtCodePoints) {
  EXPECT_EQ(split_segments("Supercalifragilistic", "en", {.max_segment_chars = 10}),
            (Segments{"Supercalif", "ragilistic"}));

  std::string umlauts;
  for (int i = 0; i < 25; ++i) umlauts += "ü";  // two bytes each
  const Segments pieces = split_segments(umlauts, "de", {.max_segment_chars = 10});
  ASSERT_EQ(pieces.size(), 3U);
  for (const std::string& piece : pieces) EXPECT_TRUE(is_valid_utf8(piece)) << piece;
  EXPECT_EQ(count_code_points(pieces[0]), 10U);
  EXPECT_EQ(count_code_points(pieces[2]), 5U);

  std::string ideographs;
  for (int i = 0; i < 700; ++i) ideographs += "好";
  const Segments chinese = split_segments(ideographs, "cmn");
  ASSERT_EQ(chinese.size(), 3U);
  EXPECT_EQ(count_code_points(chinese[0]), 300U);
  EXPECT_EQ(count_code_points(chinese[2]), 100U);
}

TEST(SegmenterTest, HardCutsKeepAccentsAndEmojiSequencesTogether) {
  // Decomposed é (e + U+0301) repeated: a cut after 7 code points would strand an accent.
  std::string accents;
  for (int i = 0; i < 10; ++i) accents += "e\xCC\x81";
  for (const std::string& piece : split_segments(accents, "fr", {.max_segment_chars = 7})) {
    EXPECT_EQ(piece.front(), 'e') << piece;
    EXPECT_LE(count_code_points(piece), 7U);
  }

  // Family emoji: man ZWJ woman ZWJ girl, five code points each.
  const std::string family =
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  const std::string text = family + family + family;
  const Segments pieces = split_segments(text, "en", {.max_segment_chars = 7});
  EXPECT_EQ(pieces, (Segments{family, family, family}));
}

TEST(SegmenterTest, ZeroCapIsTreatedAsOne) {
  EXPECT_EQ(split_segments("ab cd", "en", {.max_segment_chars = 0}),
            (Segments{"a", "b", "c", "d"}));
}

// ---------------------------------------------------------------------------------------------
// split_segments: short first fragment

TEST(SegmenterTest, FirstFragmentEndsAtTheFirstClauseAfterEnoughWords) {
  const SegmenterOptions options{.first_fragment_min_words = 3};
  EXPECT_EQ(
      split_segments("Every spring the river rises over its banks, and floods the low meadows.",
                     "en", options),
      (Segments{"Every spring the river rises over its banks,", "and floods the low meadows."}));
  // "Yes," has too few words; the cut moves on to the next comma.
  EXPECT_EQ(split_segments("Yes, I think we should go now, before it rains.", "en", options),
            (Segments{"Yes, I think we should go now,", "before it rains."}));
}

TEST(SegmenterTest, FirstFragmentOnlyTouchesTheFirstSegment) {
  EXPECT_EQ(split_segments("One two three, four. Five six seven, eight.", "en",
                           {.first_fragment_min_words = 3}),
            (Segments{"One two three,", "four.", "Five six seven, eight."}));
}

TEST(SegmenterTest, FirstFragmentNeedsWordsOnBothSides) {
  const SegmenterOptions options{.first_fragment_min_words = 3};
  // Not enough words before any clause mark.
  EXPECT_EQ(split_segments("Apples, pears, plums.", "en", options),
            (Segments{"Apples, pears, plums."}));
  // Nothing but punctuation after the only candidate.
  EXPECT_EQ(split_segments("One two three: ...", "en", options), (Segments{"One two three: ..."}));
  // Disabled.
  EXPECT_EQ(split_segments("Every spring the river rises over its banks, and floods the low.", "en",
                           {.first_fragment_min_words = 0}),
            (Segments{"Every spring the river rises over its banks, and floods the low."}));
}

TEST(SegmenterTest, FirstFragmentCountsChineseCharactersAsWords) {
  const std::string text = "今天天气很好，我们去公园散步吧。";
  const Segments segments = split_segments(text, "cmn", {.first_fragment_min_words = 3});
  ASSERT_EQ(segments.size(), 2U);
  EXPECT_EQ(segments[0], "今天天气很好，");
}

// ---------------------------------------------------------------------------------------------
// split_segments: a real text

TEST(SegmenterTest, LongTextGivesOneSegmentPerSentence) {
  const Segments segments = split_segments(kLongText, "en-us");
  ASSERT_EQ(segments.size(), 28U);
  EXPECT_EQ(segments.front(),
            "The lighthouse stood at the end of a narrow spit of rock, a mile from the nearest "
            "village and farther still from anything that could be called a town.");
  EXPECT_EQ(segments[8], "On a January night she wrote only three words: wind, ice, no sleep.");
  EXPECT_EQ(segments.back(),
            "Tourists come in the summer to photograph the white tower against the blue sky, and "
            "a few of them find their way to the library, where the logbooks wait on their "
            "shelf, patient and complete, like the woman who wrote them.");
  expect_well_formed(kLongText, segments, 300);

  const Segments fast_start = split_segments(kLongText, "en-us", {.first_fragment_min_words = 3});
  ASSERT_EQ(fast_start.size(), 29U);
  EXPECT_EQ(fast_start[0], "The lighthouse stood at the end of a narrow spit of rock,");
  EXPECT_EQ(fast_start[2], segments[1]);
}

TEST(SegmenterTest, EveryWordOfALongTextSurvivesAnyOptions) {
  for (const std::size_t cap : {300U, 120U, 60U, 25U, 16U}) {
    for (const std::size_t min_words : {0U, 1U, 3U, 8U}) {
      SCOPED_TRACE(testing::Message() << "cap " << cap << ", min words " << min_words);
      const Segments segments =
          split_segments(kLongText, "en-gb-x-rp",
                         {.max_segment_chars = cap, .first_fragment_min_words = min_words});
      expect_well_formed(kLongText, segments, cap);
    }
  }
}

TEST(SegmenterTest, ConcurrentCallsGiveTheSameResults) {
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {std::string(kLongText), "en-us"}, {"Dr. Müller kam. Er ging. Das ist z.B. gut.", "de"},
      {"你好。你好。", "cmn"},           {"Bonjour. Ça va?", "fr"},
      {"Hello there. Bye.", "xx"},
  };
  const SegmenterOptions options{.max_segment_chars = 80, .first_fragment_min_words = 2};
  std::vector<Segments> expected;
  for (const auto& [text, language] : inputs) {
    expected.push_back(split_segments(text, language, options));
  }

  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
          // Threads start on different languages so first uses of a locale race each other.
          const std::size_t k = (i + t) % inputs.size();
          if (split_segments(inputs[k].first, inputs[k].second, options) != expected[k]) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const int count : mismatches) EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace lector::text
