// The UTF-8 toolkit (src/text/utf8.h): decoding well-formed and ill-formed bytes, code point
// offsets and substrings, and the incomplete tail a streamed upload must hold back.

#include "text/utf8.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace lector::text {
namespace {

constexpr char32_t kFffd = 0xFFFD;

// Every code point of `s` with its start, reading forwards.
struct Step {
  char32_t value;
  std::size_t begin;
  bool operator==(const Step&) const = default;
};

std::vector<Step> forward(std::string_view s) {
  std::vector<Step> steps;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t begin = pos;
    steps.push_back({decode_next(s, pos), begin});
  }
  return steps;
}

std::vector<char32_t> values(std::string_view s) {
  std::vector<char32_t> out;
  for (const Step& step : forward(s)) out.push_back(step.value);
  return out;
}

// Random bytes biased towards the interesting ones: lead bytes, trail bytes and ASCII.
std::string random_bytes(std::mt19937& rng, std::size_t size) {
  static constexpr unsigned char kPool[] = {'a',  ' ',  0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                            0xBF, 0xC0, 0xC2, 0xC3, 0xDF, 0xE0, 0xE4,
                                            0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kPool) - 1);
  std::string s;
  for (std::size_t i = 0; i < size; ++i) s.push_back(static_cast<char>(kPool[pick(rng)]));
  return s;
}

TEST(Utf8ToolkitTest, DecodesOneToFourByteSequences) {
  EXPECT_EQ(decode_at("a", 0).value, U'a');
  EXPECT_EQ(decode_at("a", 0).length, 1U);
  EXPECT_EQ(decode_at("\xC3\xA9", 0).value, U'é');
  EXPECT_EQ(decode_at("\xC3\xA9", 0).length, 2U);
  EXPECT_EQ(decode_at("\xE4\xBD\xA0", 0).value, U'你');
  EXPECT_EQ(decode_at("\xE4\xBD\xA0", 0).length, 3U);
  EXPECT_EQ(decode_at("x\xF0\x9F\x98\x80", 1).value, U'\U0001F600');
  EXPECT_EQ(decode_at("x\xF0\x9F\x98\x80", 1).length, 4U);
  EXPECT_EQ(decode_at("\xF4\x8F\xBF\xBF", 0).value, char32_t{0x10FFFF});
  EXPECT_EQ(decode_at(std::string_view("\0", 1), 0).value, char32_t{0});
}

TEST(Utf8ToolkitTest, IllFormedBytesReadAsOneReplacementCharacterEach) {
  for (const std::string_view bad : {
           "\xC0\xAF",          // overlong '/'
           "\xE0\x80\xAF",      // overlong '/' in three bytes
           "\xF0\x80\x80\xAF",  // overlong '/' in four bytes
           "\xED\xA0\x80",      // U+D800, a surrogate
           "\xED\xBF\xBF",      // U+DFFF
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80", "\xFF", "\x80", "\xBF",
           "\xE4\xBD",      // truncated
           "\xF0\x9F\x98",  // truncated 4-byte
       }) {
    SCOPED_TRACE(testing::PrintToString(std::string(bad)));
    EXPECT_FALSE(is_valid_utf8(bad));
    const DecodedChar d = decode_at(bad, 0);
    EXPECT_EQ(d.value, kFffd);
    EXPECT_EQ(d.length, 1U);
    EXPECT_EQ(count_code_points(bad), bad.size());
    EXPECT_EQ(values(bad), std::vector<char32_t>(bad.size(), kFffd));
  }
}

TEST(Utf8ToolkitTest, DecodingStopsAtTheEndOfTheView) {
  // The bytes after the view would complete the sequence; they must not be read.
  const std::string whole = "\xE4\xBD\xA0";
  const std::string_view cut = std::string_view(whole).substr(0, 2);
  EXPECT_EQ(decode_at(cut, 0).value, kFffd);
  EXPECT_EQ(decode_at(cut, 0).length, 1U);
}

TEST(Utf8ToolkitTest, EveryScalarValueRoundTripsAndNoSurrogateIsValid) {
  std::string encoded;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    encoded.clear();
    append_utf8(encoded, c);
    const std::size_t expected = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    ASSERT_EQ(encoded.size(), expected) << std::hex << static_cast<unsigned>(c);
    ASSERT_TRUE(is_valid_utf8(encoded)) << std::hex << static_cast<unsigned>(c);
    const DecodedChar d = decode_at(encoded, 0);
    ASSERT_EQ(d.value, c);
    ASSERT_EQ(d.length, expected);
    ASSERT_EQ(previous_start(encoded, encoded.size()), 0U);
  }
  for (unsigned c = 0xD800; c <= 0xDFFF; ++c) {
    const std::string surrogate{static_cast<char>(0xE0U | (c >> 12U)),
                                static_cast<char>(0x80U | ((c >> 6U) & 0x3FU)),
                                static_cast<char>(0x80U | (c & 0x3FU))};
    ASSERT_FALSE(is_valid_utf8(surrogate)) << std::hex << c;
  }
}

TEST(Utf8ToolkitTest, CountsCodePoints) {
  EXPECT_EQ(count_code_points(""), 0U);
  EXPECT_EQ(count_code_points("a\xF0\x9F\x98\x80z"), 3U);
  EXPECT_EQ(count_code_points("e\xCC\x81"), 2U);
  EXPECT_EQ(count_code_points("ok \xE4\xBD"), 5U);  // a truncated sequence: one per byte
}

TEST(Utf8ToolkitTest, PreviousStartStepsBackOverWholeSequences) {
  const std::string_view s = "a\xC3\xA9\xE4\xBD\xA0\xF0\x9F\x98\x80";
  EXPECT_EQ(previous_start(s, 10), 6U);
  EXPECT_EQ(previous_start(s, 6), 3U);
  EXPECT_EQ(previous_start(s, 3), 1U);
  EXPECT_EQ(previous_start(s, 1), 0U);
  // Ill-formed bytes are read one at a time backwards as forwards.
  EXPECT_EQ(previous_start("a\xE4\xBD", 3), 2U);
  EXPECT_EQ(previous_start("a\x80\x80\x80\x80", 5), 4U);
  EXPECT_EQ(previous_start("\xF0\x9F\x98\x80\x80", 5), 4U);
  EXPECT_EQ(previous_start("\xF0\x9F\x98\x80\x80", 4), 0U);
}

TEST(Utf8ToolkitTest, CodePointStartFindsTheLeadByte) {
  const std::string_view s = "a\xF0\x9F\x98\x80\xC3\xA9";
  EXPECT_EQ(code_point_start(s, 0), 0U);
  for (std::size_t pos = 1; pos <= 4; ++pos) EXPECT_EQ(code_point_start(s, pos), 1U);
  EXPECT_EQ(code_point_start(s, 5), 5U);
  EXPECT_EQ(code_point_start(s, 6), 5U);
  EXPECT_EQ(code_point_start("\xE4\xBD", 1), 1U);  // a trail byte of nothing well-formed
}

// Backwards and forwards reading agree on any bytes at all, which is what lets the segmenters
// trim and scan from either end.
TEST(Utf8ToolkitTest, BackwardAndForwardReadingAgreeOnRandomBytes) {
  std::mt19937 rng(8);
  for (int round = 0; round < 2000; ++round) {
    const std::string s = random_bytes(rng, 1 + static_cast<std::size_t>(round % 12));
    SCOPED_TRACE(testing::PrintToString(s));
    const std::vector<Step> steps = forward(s);
    std::vector<Step> backward;
    for (std::size_t end = s.size(); end > 0;) {
      const std::size_t begin = previous_start(s, end);
      ASSERT_LT(begin, end);
      const DecodedChar d = decode_at(s, begin);
      ASSERT_EQ(begin + d.length, end);
      backward.insert(backward.begin(), {d.value, begin});
      end = begin;
    }
    ASSERT_EQ(backward, steps);
    for (std::size_t pos = 0, k = 0; pos < s.size(); ++pos) {
      while (k + 1 < steps.size() && steps[k + 1].begin <= pos) ++k;
      ASSERT_EQ(code_point_start(s, pos), steps[k].begin) << pos;
    }
    EXPECT_EQ(count_code_points(s), steps.size());
  }
}

TEST(Utf8ToolkitTest, OffsetOfTheNthCodePoint) {
  const std::string_view s =
      "a\xF0\x9F\x98\x80"
      "b\xC3\xA9";
  EXPECT_EQ(utf8_offset(s, 0), 0U);
  EXPECT_EQ(utf8_offset(s, 1), 1U);
  EXPECT_EQ(utf8_offset(s, 2), 5U);
  EXPECT_EQ(utf8_offset(s, 3), 6U);
  EXPECT_EQ(utf8_offset(s, 4), 8U);
  EXPECT_EQ(utf8_offset(s, 100), 8U);
  EXPECT_EQ(utf8_offset("", 3), 0U);
}

TEST(Utf8ToolkitTest, SubstringCountsCodePointsAndClampsAtTheEnds) {
  const std::string_view s =
      "a\xF0\x9F\x98\x80"
      "b\xC3\xA9";
  EXPECT_EQ(utf8_substr(s, 0, 0), "");
  EXPECT_EQ(utf8_substr(s, 0, 1), "a");
  EXPECT_EQ(utf8_substr(s, 1, 1), "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_substr(s, 1, 2),
            "\xF0\x9F\x98\x80"
            "b");
  EXPECT_EQ(utf8_substr(s, 3, 1), "\xC3\xA9");   // the last code point
  EXPECT_EQ(utf8_substr(s, 3, 99), "\xC3\xA9");  // count past the end
  EXPECT_EQ(utf8_substr(s, 0, 99), s);           // all of it
  EXPECT_EQ(utf8_substr(s, 4, 1), "");           // start at the end
  EXPECT_EQ(utf8_substr(s, 99, 1), "");          // start past the end
  EXPECT_EQ(utf8_substr("", 0, 5), "");
  EXPECT_EQ(utf8_substr(s, 1, 1).data(), s.data() + 1);  // a view into the argument
}

TEST(Utf8ToolkitTest, IncompleteTailOfWellFormedPrefixes) {
  EXPECT_EQ(utf8_incomplete_tail(""), 0U);
  EXPECT_EQ(utf8_incomplete_tail("abc"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("\xC3"), 1U);
  EXPECT_EQ(utf8_incomplete_tail("a\xC3\xA9"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("a\xE4"), 1U);
  EXPECT_EQ(utf8_incomplete_tail("a\xE4\xBD"), 2U);
  EXPECT_EQ(utf8_incomplete_tail("a\xE4\xBD\xA0"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("\xF0"), 1U);
  EXPECT_EQ(utf8_incomplete_tail("\xF0\x9F"), 2U);
  EXPECT_EQ(utf8_incomplete_tail("\xF0\x9F\x98"), 3U);
  EXPECT_EQ(utf8_incomplete_tail("\xF0\x9F\x98\x80"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("\xF4\x8F\xBF"), 3U);  // U+10FFFF cut after 3
}

TEST(Utf8ToolkitTest, IncompleteTailIsZeroWhenNoContinuationCouldHelp) {
  EXPECT_EQ(utf8_incomplete_tail("\xE0\x80"), 0U);  // overlong whatever follows
  EXPECT_EQ(utf8_incomplete_tail("\xF0\x8F"), 0U);  // overlong whatever follows
  EXPECT_EQ(utf8_incomplete_tail("\xED\xA0"), 0U);  // a surrogate whatever follows
  EXPECT_EQ(utf8_incomplete_tail("\xF4\x90"), 0U);  // above U+10FFFF
  EXPECT_EQ(utf8_incomplete_tail("\xC0"), 0U);      // never a lead byte
  EXPECT_EQ(utf8_incomplete_tail("\xC1"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("\xF5"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("\xFF"), 0U);
  EXPECT_EQ(utf8_incomplete_tail("a\x80"), 0U);         // stray trail byte
  EXPECT_EQ(utf8_incomplete_tail("\x80\x80\x80"), 0U);  // only trail bytes
  EXPECT_EQ(utf8_incomplete_tail("\xC3\xA9\xA9"), 0U);  // one trail byte too many
  EXPECT_EQ(utf8_incomplete_tail("\xE4"
                                 "a"),
            0U);  // ASCII ends the sequence
}

// The streaming contract: holding back the tail and prepending it to the next chunk reads every
// split of any bytes exactly as the whole, and leaves valid text valid.
TEST(Utf8ToolkitTest, HoldingBackTheTailReadsAnySplitAsTheWhole) {
  std::mt19937 rng(11);
  for (int round = 0; round < 3000; ++round) {
    const std::string s = random_bytes(rng, 1 + static_cast<std::size_t>(round % 10));
    const std::vector<char32_t> whole = values(s);
    for (std::size_t split = 0; split <= s.size(); ++split) {
      const std::string first = s.substr(0, split);
      const std::size_t tail = utf8_incomplete_tail(first);
      ASSERT_LE(tail, 3U);
      std::vector<char32_t> joined = values(std::string_view(first).substr(0, split - tail));
      const std::vector<char32_t> rest = values(s.substr(split - tail));
      joined.insert(joined.end(), rest.begin(), rest.end());
      ASSERT_EQ(joined, whole) << testing::PrintToString(s) << " split at " << split;
    }
  }
  const std::string text = "Grüße, 你好 \xF0\x9F\x98\x80!";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    const std::string_view first = std::string_view(text).substr(0, split);
    EXPECT_TRUE(is_valid_utf8(first.substr(0, first.size() - utf8_incomplete_tail(first))));
  }
}

}  // namespace
}  // namespace lector::text
