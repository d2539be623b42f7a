// IncrementalSegmenter: text fed in fragments, as an LLM streams it, must come out as the same
// segments split_segments gives for the whole text, each as soon as its end is certain.

#include "text/incremental.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "long_text.h"
#include "text/segmenter.h"
#include "text/utf8.h"

namespace lector::text {
namespace {

using Segments = std::vector<std::string>;
using Chunks = std::vector<std::string>;

// shared/baselines/texts/paragraph.txt below, long.txt from long_text.h: embedded so the
// test needs no file system layout.
using testdata::kLongText;

constexpr std::string_view kParagraphText =
    "Every spring the river rises over its banks and floods the low meadows beside the mill. The "
    "farmers have learned to wait for the water to recede before they plant, because the silt it "
    "leaves behind makes the soil dark and rich. Children gather at the old stone bridge to watch "
    "the current carry branches, leaves, and the occasional lost boot downstream toward the sea.\n";

constexpr std::string_view kGermanText =
    "Das ist z.B. gut. Er kam am 3. Mai. Das war 2020. Dann ging er. Dr. Müller kam. Er ging. "
    "Im 19. Jahrhundert, so heißt es, baute man hier Brücken. Das war im 4. Jh. v. Chr. nicht so. "
    "Sie kam langsam. Grüße aus Köln!";

constexpr std::string_view kChineseText =
    "你好。今天天气很好，我们去公园散步吧。明天会下雨吗？也许会，也许不会！"
    "我们在公园里看到了很多花，红的、黄的、白的，非常漂亮。";

// Texts whose sentence ends depend on what follows them, or on clean-up.
constexpr std::string_view kTrickyTexts[] = {
    "Dr. Smith paid $3.50. He left.",
    "Hello world. How are you? I am fine!",
    "Mr. Jones met Mrs. Brown and Prof. Green. They talked.",
    "Bring fruit, e.g. Apples or pears. Then go.",
    "It was (Dr. Watson) who came. He knocked.",
    "He left. 5 apples were gone. Then etc. (and so on) happened. Fine.",
    "Really? Yes! Wow!! Is it?! Okay... Fine.",
    "He said \"yes,\" and then he left the room quietly. \"Why?\" she asked. (Nobody knew.) End.",
    "Call Dr.\nWho is there?\n\nTitle\n\nBody text here. More.",
    "  Messy \t white\r\n space\x01 and\x7F controls\xEF\xBB\xBF here.  Next\xE2\x80\xA8line. ",
    "abc \xFF\xFE def. Next \xE4\xBD one. \xC3",
    "Ça va? Très bien. 😀 Merci. e\xCC\x81te\xCC\x81 \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 "
    "ok.",
    "one two three, — four five six seven, eight nine ten eleven twelve thirteen.",
    "We counted 1,000,000 stars, then we slept well tonight. U.S. troops came at 5 p.m. Today.",
    "Done. 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and more. Then 1, 2, 3, 4, 5, 6, 7, 8. End.",
    "Wait . . . . . . . . . . . . what? . . . . . . Yes. ))))))))))))))) Fine.",
};

Chunks split_every(std::string_view text, std::size_t bytes) {
  Chunks chunks;
  for (std::size_t pos = 0; pos < text.size(); pos += bytes) {
    chunks.emplace_back(text.substr(pos, bytes));
  }
  return chunks;
}

// One chunk per code point, or per byte of an ill-formed sequence.
Chunks split_code_points(std::string_view text) {
  Chunks chunks;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos + 1;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) ++end;
    chunks.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return chunks;
}

// Like an LLM's tokens: white space goes with the word after it (" world").
Chunks split_words(std::string_view text) {
  Chunks chunks;
  std::size_t begin = 0;
  for (std::size_t pos = 1; pos <= text.size(); ++pos) {
    const bool word_starts = pos < text.size() && text[pos] == ' ' && text[pos - 1] != ' ';
    if (pos == text.size() || word_starts) {
      chunks.emplace_back(text.substr(begin, pos - begin));
      begin = pos;
    }
  }
  return chunks;
}

Chunks split_random(std::string_view text, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> size(1, 12);
  Chunks chunks;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t n = size(rng);
    chunks.emplace_back(text.substr(pos, n));
    pos += n;
  }
  return chunks;
}

Segments feed_all(const Chunks& chunks, std::string_view language,
                  const SegmenterOptions& options) {
  IncrementalSegmenter segmenter(language, {.segmenter = options});
  Segments segments;
  for (const std::string& chunk : chunks) {
    for (std::string& segment : segmenter.feed(chunk)) segments.push_back(std::move(segment));
  }
  for (std::string& segment : segmenter.flush()) segments.push_back(std::move(segment));
  EXPECT_EQ(segmenter.pending_chars(), 0U);
  return segments;
}

// As feed_all, and after each chunk a settle_with() hint of the text's next visible code point,
// as the text front end gives when its clean-up holds a word back.
Segments feed_all_with_hints(const Chunks& chunks, std::string_view language,
                             const SegmenterOptions& options) {
  IncrementalSegmenter segmenter(language, {.segmenter = options});
  Segments segments;
  std::string rest;
  for (const std::string& chunk : chunks) rest += chunk;
  for (const std::string& chunk : chunks) {
    for (std::string& segment : segmenter.feed(chunk)) segments.push_back(std::move(segment));
    rest.erase(0, chunk.size());
    const std::string next = normalize(rest);
    if (next.empty()) continue;
    for (std::string& segment : segmenter.settle_with(decode_at(next, 0).value))
      segments.push_back(std::move(segment));
  }
  for (std::string& segment : segmenter.flush()) segments.push_back(std::move(segment));
  EXPECT_EQ(segmenter.pending_chars(), 0U);
  return segments;
}

// The key property: however the text is cut into fragments, the segments are split_segments'.
void expect_same_as_one_shot(std::string_view text, std::string_view language,
                             const SegmenterOptions& options) {
  SCOPED_TRACE(testing::Message() << "language " << language << ", cap "
                                  << options.max_segment_chars << ", first fragment words "
                                  << options.first_fragment_min_words);
  const Segments expected = split_segments(normalize(text), language, options);
  const std::vector<std::pair<const char*, Chunks>> splits = {
      {"whole", {std::string(text)}},           {"bytes", split_every(text, 1)},
      {"code points", split_code_points(text)}, {"words", split_words(text)},
      {"chunks of 7", split_every(text, 7)},    {"random 1", split_random(text, 1)},
      {"random 2", split_random(text, 2)},
  };
  for (const auto& [name, chunks] : splits) {
    SCOPED_TRACE(name);
    EXPECT_EQ(feed_all(chunks, language, options), expected);
  }
}

const std::vector<SegmenterOptions> kOptionSets = {
    {},
    {.first_fragment_min_words = 3},
    {.max_segment_chars = 60},
    {.max_segment_chars = 40, .first_fragment_min_words = 3},
    {.max_segment_chars = 25, .first_fragment_min_words = 1},
    {.max_segment_chars = 12, .first_fragment_min_words = 8},
    {.max_segment_chars = 3},
};

// ---------------------------------------------------------------------------------------------
// Same segments as split_segments

TEST(IncrementalSegmenterTest, LongTextMatchesOneShotForEverySplit) {
  for (const SegmenterOptions& options : kOptionSets) {
    expect_same_as_one_shot(kLongText, "en-us", options);
  }
}

TEST(IncrementalSegmenterTest, ParagraphMatchesOneShotForEverySplit) {
  for (const SegmenterOptions& options : kOptionSets) {
    expect_same_as_one_shot(kParagraphText, "en-gb-x-rp", options);
  }
}

TEST(IncrementalSegmenterTest, GermanWithOrdinalsMatchesOneShot) {
  for (const SegmenterOptions& options : kOptionSets) {
    expect_same_as_one_shot(kGermanText, "de", options);
  }
  // Ordinals do not end a sentence, however the text arrives.
  EXPECT_EQ(feed_all(split_every("Er kam am 3. Mai. Das war 2020. Dann ging er.", 1), "de", {}),
            (Segments{"Er kam am 3. Mai.", "Das war 2020.", "Dann ging er."}));
}

TEST(IncrementalSegmenterTest, ChineseMatchesOneShot) {
  for (const SegmenterOptions& options : kOptionSets) {
    expect_same_as_one_shot(kChineseText, "cmn", options);
  }
}

TEST(IncrementalSegmenterTest, TrickyTextsMatchOneShot) {
  for (const std::string_view text : kTrickyTexts) {
    SCOPED_TRACE(text);
    for (const SegmenterOptions& options : kOptionSets) {
      expect_same_as_one_shot(text, "en", options);
    }
  }
  EXPECT_EQ(feed_all(split_every("Dr. Smith paid $3.50. He left.", 1), "en-us", {}),
            (Segments{"Dr. Smith paid $3.50.", "He left."}));
}

// Random texts over pieces that stress sentence ends, clause marks, clean-up and UTF-8, with
// random fragment sizes: a fixed seed keeps failures reproducible.
TEST(IncrementalSegmenterTest, RandomTextsMatchOneShot) {
  const std::vector<std::string_view> pieces = {
      "a",         "word",
      "The",       "I",
      "am",        "Dr.",
      "Mr.",       "e.g.",
      "z.B.",      "v.",
      "Chr.",      "3",
      "5",         "3.50",
      ".",         "?",
      "!",         "...",
      ",",         ";",
      ":",         "—",
      ")",         "(",
      "\"",        "'",
      "«",         "»",
      " ",         " ",
      " ",         " ",
      "  ",        "\n",
      "\t",        "\n\n",
      "你好",      "。",
      "，",        "é",
      "e\xCC\x81", "\xF0\x9F\x98\x80",
      "\x01",      "\xE2\x80\x8B",
      "\xFF",      "\xC3",
      "U.S.",      "etc.",
      "Hi",        "x",
  };
  const std::vector<SegmenterOptions> options = {
      {}, {.max_segment_chars = 9}, {.max_segment_chars = 20, .first_fragment_min_words = 2}};
  std::mt19937 rng(20240531);
  for (int round = 0; round < 150; ++round) {
    std::string text;
    const std::size_t length = 1 + rng() % 40;
    for (std::size_t i = 0; i < length; ++i) text += pieces[rng() % pieces.size()];
    for (const char* language : {"en", "de", "cmn"}) {
      for (const SegmenterOptions& option : options) {
        SCOPED_TRACE(testing::Message() << "text [" << text << "] language " << language << " cap "
                                        << option.max_segment_chars);
        const Segments expected = split_segments(normalize(text), language, option);
        ASSERT_EQ(feed_all(split_every(text, 1), language, option), expected);
        ASSERT_EQ(feed_all(split_random(text, static_cast<unsigned>(round)), language, option),
                  expected);
        ASSERT_EQ(feed_all_with_hints(split_random(text, static_cast<unsigned>(round) + 7),
                                      language, option),
                  expected);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// When segments come out

TEST(IncrementalSegmenterTest, SentenceIsEmittedWhenTheNextOneStarts) {
  IncrementalSegmenter segmenter("en-us");
  EXPECT_EQ(segmenter.feed("Hello world."), Segments{});
  EXPECT_EQ(segmenter.feed(" "), Segments{});
  EXPECT_EQ(segmenter.feed("H"), (Segments{"Hello world."}));
  EXPECT_EQ(segmenter.feed("ow are you"), Segments{});
  EXPECT_EQ(segmenter.flush(), (Segments{"How are you"}));
}

TEST(IncrementalSegmenterTest, AHintedLetterSettlesTheSentenceWithoutBeingTaken) {
  IncrementalSegmenter segmenter("en-us");
  EXPECT_EQ(segmenter.feed("Hello world. "), Segments{});
  EXPECT_EQ(segmenter.settle_with(U'g'), Segments{});  // lower case: no sentence end
  EXPECT_EQ(segmenter.settle_with(U'H'), (Segments{"Hello world."}));
  EXPECT_EQ(segmenter.feed("How are"), Segments{});
  EXPECT_EQ(segmenter.flush(), (Segments{"How are"}));
}

TEST(IncrementalSegmenterTest, AbbreviationsAndDecimalsWaitForMoreText) {
  IncrementalSegmenter segmenter("en-us");
  EXPECT_EQ(segmenter.feed("Dr."), Segments{});
  EXPECT_EQ(segmenter.feed(" Smith"), Segments{});  // "Dr." is no sentence end
  EXPECT_EQ(segmenter.feed(" paid $3."), Segments{});
  EXPECT_EQ(segmenter.feed("50"), Segments{});  // nor is "3."
  EXPECT_EQ(segmenter.feed(". He"), (Segments{"Dr. Smith paid $3.50."}));
  EXPECT_EQ(segmenter.feed(" left."), Segments{});
  EXPECT_EQ(segmenter.flush(), (Segments{"He left."}));
}

TEST(IncrementalSegmenterTest, OnlyALetterSettlesASentenceEnd) {
  IncrementalSegmenter segmenter("en");
  // A digit or bracket may still be followed by a lower-case word, which joins the sentences.
  EXPECT_EQ(segmenter.feed("He left. 5 ("), Segments{});
  EXPECT_EQ(segmenter.feed("and"), Segments{});
  EXPECT_EQ(segmenter.feed(" more). Then"), (Segments{"He left. 5 (and more)."}));
  EXPECT_EQ(segmenter.feed(" she left. 5,"), Segments{});
  EXPECT_EQ(segmenter.feed(" 6"), Segments{});
  EXPECT_EQ(segmenter.feed(" (A"), (Segments{"Then she left."}));
  EXPECT_EQ(segmenter.flush(), (Segments{"5, 6 (A"}));
}

// In these texts a letter follows every sentence end, so only the last segment may wait for
// flush(): everything else must come out while the text streams in.
TEST(IncrementalSegmenterTest, EverySegmentButTheLastComesOutBeforeFlush) {
  const std::vector<std::pair<std::string_view, const char*>> texts = {
      {kLongText, "en-us"}, {kParagraphText, "en"}, {kGermanText, "de"}, {kChineseText, "cmn"}};
  for (const auto& [text, language] : texts) {
    for (const SegmenterOptions& options : kOptionSets) {
      SCOPED_TRACE(testing::Message()
                   << language << ", cap " << options.max_segment_chars << ", first fragment words "
                   << options.first_fragment_min_words);
      const Segments expected = split_segments(normalize(text), language, options);
      IncrementalSegmenter segmenter(language, {.segmenter = options});
      Segments early;
      for (const std::string& chunk : split_code_points(text)) {
        for (std::string& segment : segmenter.feed(chunk)) early.push_back(std::move(segment));
      }
      ASSERT_EQ(early.size(), expected.size() - 1);
      EXPECT_EQ(early, Segments(expected.begin(), expected.end() - 1));
      EXPECT_EQ(segmenter.flush(), Segments{expected.back()});
    }
  }
}

TEST(IncrementalSegmenterTest, EarlyFirstFragmentComesWithTheNextWord) {
  IncrementalSegmenter segmenter("en", {.segmenter = {.first_fragment_min_words = 3}});
  EXPECT_EQ(segmenter.feed("Every spring the river rises over its banks,"), Segments{});
  EXPECT_EQ(segmenter.feed(" "), Segments{});
  EXPECT_EQ(segmenter.feed("a"), (Segments{"Every spring the river rises over its banks,"}));
  EXPECT_EQ(segmenter.feed("nd floods the meadows, then"), Segments{});  // only the first one
  EXPECT_EQ(segmenter.feed(" drains. It"), (Segments{"and floods the meadows, then drains."}));
  EXPECT_EQ(segmenter.flush(), (Segments{"It"}));
}

TEST(IncrementalSegmenterTest, EarlyFirstFragmentNeedsEnoughWords) {
  IncrementalSegmenter segmenter("en", {.segmenter = {.first_fragment_min_words = 3}});
  EXPECT_EQ(segmenter.feed("Yes, I"), Segments{});
  EXPECT_EQ(segmenter.feed(" think we should go now, before"),
            (Segments{"Yes, I think we should go now,"}));
  EXPECT_EQ(segmenter.flush(), (Segments{"before"}));
}

TEST(IncrementalSegmenterTest, LongSentenceIsCutBeforeItEnds) {
  const SegmenterOptions options{.max_segment_chars = 40};
  const std::string text =
      "alpha beta gamma, delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho.";
  const Segments expected = split_segments(text, "en", options);
  ASSERT_EQ(expected.size(), 3U);

  IncrementalSegmenter segmenter("en", {.segmenter = options});
  Segments early;
  for (const std::string& token : split_words(text)) {
    for (std::string& segment : segmenter.feed(token)) early.push_back(std::move(segment));
  }
  EXPECT_EQ(early, Segments(expected.begin(), expected.end() - 1));
  EXPECT_EQ(segmenter.flush(), Segments{expected.back()});
}

TEST(IncrementalSegmenterTest, PendingTextStaysBoundedWithoutSentenceEnds) {
  const SegmenterOptions options{.max_segment_chars = 50};
  IncrementalSegmenter segmenter("en", {.segmenter = options});
  std::string text;
  std::size_t emitted = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string token = i % 7 == 0 ? " and" : " word" + std::to_string(i % 13);
    text += token;
    emitted += segmenter.feed(token).size();
    ASSERT_LE(segmenter.pending_chars(), 50U + token.size());
  }
  const Segments rest = segmenter.flush();
  EXPECT_EQ(emitted + rest.size(), split_segments(normalize(text), "en", options).size());
}

// ---------------------------------------------------------------------------------------------
// Fragment boundaries and clean-up

TEST(IncrementalSegmenterTest, FragmentBoundariesJoinWordsAndCollapseSpaces) {
  IncrementalSegmenter segmenter("en");
  for (const char* fragment : {"  Hel", "lo ", " \t", "\n world", "\x01", "!", "\r\n"}) {
    EXPECT_EQ(segmenter.feed(fragment), Segments{});
  }
  EXPECT_EQ(segmenter.pending_chars(), 12U);
  EXPECT_EQ(segmenter.flush(), (Segments{"Hello world!"}));
}

TEST(IncrementalSegmenterTest, SplitUtf8SequencesAreJoined) {
  IncrementalSegmenter segmenter("cmn");
  EXPECT_EQ(segmenter.feed("\xE4"), Segments{});
  EXPECT_EQ(segmenter.feed("\xBD"), Segments{});
  EXPECT_EQ(segmenter.pending_chars(), 0U);  // half a character is not counted yet
  EXPECT_EQ(segmenter.feed("\xA0\xE5\xA5\xBD\xE3"), Segments{});
  EXPECT_EQ(segmenter.pending_chars(), 2U);
  EXPECT_EQ(segmenter.feed("\x80\x82\xE6\x98\x8E"), (Segments{"你好。"}));
  EXPECT_EQ(segmenter.flush(), (Segments{"明"}));
}

TEST(IncrementalSegmenterTest, IncompleteUtf8AtTheEndBecomesReplacementCharacters) {
  IncrementalSegmenter segmenter("en");
  EXPECT_EQ(segmenter.feed("ok \xE4\xBD"), Segments{});
  // As normalize() does with the whole text: one U+FFFD per byte.
  EXPECT_EQ(segmenter.flush(), (Segments{"ok \xEF\xBF\xBD\xEF\xBF\xBD"}));
}

TEST(IncrementalSegmenterTest, BlankInputGivesNothing) {
  IncrementalSegmenter segmenter("en");
  EXPECT_EQ(segmenter.feed(""), Segments{});
  EXPECT_EQ(segmenter.feed(" \n\t "), Segments{});
  EXPECT_EQ(segmenter.feed("\x01\xEF\xBB\xBF"), Segments{});
  EXPECT_EQ(segmenter.on_quiet(), Segments{});
  EXPECT_EQ(segmenter.flush(), Segments{});
  EXPECT_EQ(segmenter.flush(), Segments{});
}

// ---------------------------------------------------------------------------------------------
// on_quiet

TEST(IncrementalSegmenterTest, QuietPeriodLeavesShortTextPending) {
  IncrementalSegmenter segmenter("en");
  EXPECT_EQ(segmenter.feed("Hello there"), Segments{});
  EXPECT_EQ(segmenter.on_quiet(), Segments{});  // 11 code points, below the default 20
  EXPECT_EQ(segmenter.pending_chars(), 11U);
  EXPECT_EQ(segmenter.flush(), (Segments{"Hello there"}));
}

// Found by tests/fuzz/fuzz_segmenter: a quiet-period flush of a run with no spaces left whole,
// over the segment cap.
TEST(IncrementalSegmenterTest, QuietPeriodKeepsTheSegmentCap) {
  const std::string text = "Hello world. We are ?" + std::string(40, '_');
  for (const char* language : {"en", "ja"}) {
    SCOPED_TRACE(language);
    IncrementalOptions options;
    options.segmenter.max_segment_chars = 4;
    options.min_quiet_flush_chars = 1;
    IncrementalSegmenter segmenter(language, options);
    Segments all = segmenter.feed(text);
    for (std::string& s : segmenter.on_quiet()) all.push_back(std::move(s));
    for (std::string& s : segmenter.flush()) all.push_back(std::move(s));
    std::string joined;
    for (const std::string& s : all) {
      EXPECT_LE(count_code_points(s), 4U) << s;
      joined += s;
    }
    std::string expected = text;
    std::erase(expected, ' ');
    std::erase(joined, ' ');
    EXPECT_EQ(joined, expected);
  }
}

TEST(IncrementalSegmenterTest, QuietPeriodEmitsUpToTheLastCompleteWord) {
  IncrementalSegmenter segmenter("en");
  EXPECT_EQ(segmenter.feed("The quick brown fox jumps ov"), Segments{});
  EXPECT_EQ(segmenter.on_quiet(), (Segments{"The quick brown fox jumps"}));
  EXPECT_EQ(segmenter.pending_chars(), 2U);
  EXPECT_EQ(segmenter.on_quiet(), Segments{});
  // The word and the sentence go on where they were cut.
  EXPECT_EQ(segmenter.feed("er the lazy dog. It"), (Segments{"over the lazy dog."}));
  EXPECT_EQ(segmenter.flush(), (Segments{"It"}));
}

TEST(IncrementalSegmenterTest, QuietPeriodEmitsEverythingAfterACompleteWord) {
  {
    IncrementalSegmenter segmenter("en");
    EXPECT_EQ(segmenter.feed("The quick brown fox jumps "), Segments{});
    EXPECT_EQ(segmenter.on_quiet(), (Segments{"The quick brown fox jumps"}));
    EXPECT_EQ(segmenter.pending_chars(), 0U);
  }
  {
    IncrementalSegmenter segmenter("en");
    EXPECT_EQ(segmenter.feed("Well, the quick brown fox said:"), Segments{});
    EXPECT_EQ(segmenter.on_quiet(), (Segments{"Well, the quick brown fox said:"}));
    // The sentence it was part of ends without repeating anything.
    EXPECT_EQ(segmenter.feed(" no. Then"), (Segments{"no."}));
  }
  {
    IncrementalSegmenter segmenter("cmn");
    const std::string text = "我们在公园里看到了很多花红的黄的白的非常漂亮";
    EXPECT_EQ(segmenter.feed(text), Segments{});
    EXPECT_EQ(segmenter.on_quiet(), (Segments{text}));
  }
  {
    IncrementalSegmenter segmenter("en");
    EXPECT_EQ(segmenter.feed("Supercalifragilisticexpialidocious"), Segments{});
    EXPECT_EQ(segmenter.on_quiet(), (Segments{"Supercalifragilisticexpialidocious"}));
  }
}

TEST(IncrementalSegmenterTest, QuietThresholdIsConfigurable) {
  IncrementalSegmenter segmenter("en", {.segmenter = {}, .min_quiet_flush_chars = 5});
  EXPECT_EQ(segmenter.feed("Hi"), Segments{});
  EXPECT_EQ(segmenter.on_quiet(), Segments{});
  EXPECT_EQ(segmenter.feed(" there"), Segments{});
  // "there" may still become "therefore".
  EXPECT_EQ(segmenter.on_quiet(), (Segments{"Hi"}));
  EXPECT_EQ(segmenter.flush(), (Segments{"there"}));
}

// ---------------------------------------------------------------------------------------------
// reset, flush and a new utterance

TEST(IncrementalSegmenterTest, ResetDropsPendingTextAndRestartsTheFirstFragment) {
  IncrementalSegmenter segmenter("en", {.segmenter = {.first_fragment_min_words = 3}});
  EXPECT_EQ(segmenter.feed("Every spring the river rises, and floods"),
            (Segments{"Every spring the river rises,"}));
  EXPECT_EQ(segmenter.feed(" the meadows,"), Segments{});
  EXPECT_EQ(segmenter.pending_chars(), 23U);
  segmenter.reset();
  EXPECT_EQ(segmenter.pending_chars(), 0U);
  // A half UTF-8 sequence is dropped too: it must not glue onto the next utterance.
  EXPECT_EQ(segmenter.feed("\xC3"), Segments{});
  segmenter.reset();
  EXPECT_EQ(segmenter.feed("Yes, I think we should go now, before"),
            (Segments{"Yes, I think we should go now,"}));
  EXPECT_EQ(segmenter.flush(), (Segments{"before"}));
}

TEST(IncrementalSegmenterTest, FlushStartsANewUtterance) {
  IncrementalSegmenter segmenter("en", {.segmenter = {.first_fragment_min_words = 2}});
  EXPECT_EQ(segmenter.feed("One two, three. Four"), (Segments{"One two,", "three."}));
  EXPECT_EQ(segmenter.flush(), (Segments{"Four"}));
  EXPECT_EQ(segmenter.pending_chars(), 0U);
  EXPECT_EQ(segmenter.feed("Five six, seven"), (Segments{"Five six,"}));
  EXPECT_EQ(segmenter.flush(), (Segments{"seven"}));
}

TEST(IncrementalSegmenterTest, PendingCharsCountsCodePointsNotYetEmitted) {
  IncrementalSegmenter segmenter("de");
  EXPECT_EQ(segmenter.pending_chars(), 0U);
  EXPECT_EQ(segmenter.feed("Grüße "), Segments{});
  EXPECT_EQ(segmenter.pending_chars(), 5U);  // the trailing space is not counted
  EXPECT_EQ(segmenter.feed("aus Köln. Wie"), (Segments{"Grüße aus Köln."}));
  EXPECT_EQ(segmenter.pending_chars(), 3U);
  EXPECT_EQ(segmenter.flush(), (Segments{"Wie"}));
  EXPECT_EQ(segmenter.pending_chars(), 0U);
}

TEST(IncrementalSegmenterTest, CanBeMovedBetweenOwners) {
  IncrementalSegmenter first("en");
  EXPECT_EQ(first.feed("Hello world. How"), (Segments{"Hello world."}));
  IncrementalSegmenter second = std::move(first);
  EXPECT_EQ(second.feed(" are you?"), Segments{});
  EXPECT_EQ(second.flush(), (Segments{"How are you?"}));
}

}  // namespace
}  // namespace lector::text
