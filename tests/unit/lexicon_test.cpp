// The pronunciation lexicon (src/text/lexicon.h): its file format, whole-word case-insensitive
// matching, regexes, sections, phonemes per engine, request additions, errors naming the line.

#include "text/lexicon.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/error.h"
#include "text/utf8.h"

namespace lector::text {
namespace {

constexpr std::string_view kFile =
    "# names and brands\n"
    "\n"
    "Lector\tLecktor\n"
    "nginx\tengine x\n"
    "New York City\tthe big apple\n"
    "New York\tNew Yawk\n"
    "/(\\d+)x/\t$1 times\n"
    "\n"
    "[lang=de]\n"
    "Lector\tLektor\n"
    "[engine=espeak]\n"
    "tomato\t[[t@m'A:toU]]\n"
    "[voice=flite:slt]\n"
    "hello\thowdy\n"
    "[all]\n"
    "CPU\tC P U\n";

const LexiconContext kEnEspeak{"en-us", "espeak", "en-us"};
const LexiconContext kEnFlite{"en", "flite", "slt"};
const LexiconContext kDeEspeak{"de", "espeak", "de"};

std::string say(const Lexicon& lex, std::string_view text, const LexiconContext& context) {
  return lex.apply(identity_map(text), context).text;
}

TEST(Lexicon, WholeWordsCaseInsensitive) {
  const Lexicon lex = Lexicon::parse(kFile, "test.lex");
  EXPECT_EQ(lex.size(), 9u);
  EXPECT_EQ(say(lex, "lector and LECTOR, not Lectors or unlector.", kEnFlite),
            "Lecktor and Lecktor, not Lectors or unlector.");
  EXPECT_EQ(say(lex, "behind nginx.", kEnFlite), "behind engine x.");
  EXPECT_EQ(say(lex, "the cpu is busy", kEnFlite), "the C P U is busy");
}

TEST(Lexicon, LongestMultiWordKeyWins) {
  const Lexicon lex = Lexicon::parse(kFile, "test.lex");
  EXPECT_EQ(say(lex, "New York City and new york", kEnFlite), "the big apple and New Yawk");
}

TEST(Lexicon, RegexWithGroups) {
  const Lexicon lex = Lexicon::parse(kFile, "test.lex");
  EXPECT_EQ(say(lex, "it is 10x faster, not x10", kEnFlite), "it is 10 times faster, not x10");
}

TEST(Lexicon, SectionsLimitEntries) {
  const Lexicon lex = Lexicon::parse(kFile, "test.lex");
  EXPECT_EQ(say(lex, "Lector", kDeEspeak), "Lektor");
  EXPECT_EQ(say(lex, "Lector", {"de-DE", "flite", "x"}), "Lektor");
  EXPECT_EQ(say(lex, "hello", kEnFlite), "howdy");
  EXPECT_EQ(say(lex, "hello", kEnEspeak), "hello");
  EXPECT_EQ(say(lex, "hello", {"en", "flite", "kal"}), "hello");
}

TEST(Lexicon, PhonemesOnlyForEspeak) {
  const Lexicon lex = Lexicon::parse(kFile, "test.lex");
  EXPECT_EQ(say(lex, "a tomato", kEnEspeak), "a [[t@m'A:toU]]");
  EXPECT_EQ(say(lex, "a tomato", kEnFlite), "a tomato");
  // An espeak phoneme entry outside an engine section is still skipped for other engines.
  const Lexicon loose = Lexicon::parse("tomato\t[[t@m'A:toU]]\n", "x");
  EXPECT_EQ(say(loose, "tomato", {"en", "festival", "kal"}), "tomato");
  EXPECT_EQ(say(loose, "tomato", kEnEspeak), "[[t@m'A:toU]]");
}

TEST(Lexicon, LaterLinesAndRequestAdditionsWin) {
  const Lexicon lex = Lexicon::parse("cat\tkitty\ncat\tfeline\n", "x");
  EXPECT_EQ(say(lex, "cat", kEnFlite), "feline");
  const Lexicon more = lex.with_additions({{"cat", "tiger"}, {"dog", "puppy"}});
  EXPECT_EQ(say(more, "cat and dog", kEnFlite), "tiger and puppy");
  EXPECT_EQ(say(lex, "cat and dog", kEnFlite), "feline and dog");  // the original is unchanged
  EXPECT_THROW((void)lex.with_additions({{"  ", "x"}}), Error);
  EXPECT_THROW((void)lex.with_additions({{"cat", " "}}), Error);
  // Additions take the file's syntax: a regex key, espeak phonemes.
  const Lexicon regex = lex.with_additions({{"/c(a)t/", "c$1$1t"}});
  EXPECT_EQ(say(regex, "cat", kEnFlite), "caat");
}

TEST(Lexicon, ReplacementsCarryTheSpanOfTheWord) {
  const Lexicon lex = Lexicon::parse("nginx\tengine x\n", "x");
  const MappedText out = lex.apply(identity_map("run nginx now", 10), kEnFlite);
  EXPECT_EQ(out.text, "run engine x now");
  ASSERT_EQ(out.spans.size(), count_code_points(out.text));
  for (std::size_t i = 4; i < 12; ++i) EXPECT_EQ(out.spans[i], (SourceSpan{14, 19}));
  EXPECT_EQ(out.spans[13], (SourceSpan{20, 21}));
}

TEST(Lexicon, NonAsciiKeysFoldCase) {
  const Lexicon lex = Lexicon::parse("Ärger\tÄrgernis\nÉCOLE\tékol\n", "x");
  EXPECT_EQ(say(lex, "viel ärger in der école", kDeEspeak), "viel Ärgernis in der ékol");
}

void expect_bad(std::string_view content, std::string_view where) {
  try {
    (void)Lexicon::parse(content, "my.lex");
    ADD_FAILURE() << "accepted: " << content;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
  }
}

TEST(Lexicon, BadLinesNameOriginAndLine) {
  expect_bad("ok\tfine\nno tab here\n", "my.lex:2");
  expect_bad("# c\n\n/(unclosed/\tx\n", "my.lex:3");
  expect_bad("[colour=red]\n", "my.lex:1");
  expect_bad("word\t\n", "my.lex:1");
  expect_bad("\tx\n", "my.lex:1");
}

// A catastrophic pattern gives up on the segment instead of hanging the thread.
TEST(Lexicon, CatastrophicRegexIsCutShort) {
  const Lexicon lex = Lexicon::parse("/(a+)+b/\tx\ncat\tkitty\n", "x");
  const std::string text = std::string(40, 'a') + " cat";
  EXPECT_EQ(say(lex, text, kEnFlite), std::string(40, 'a') + " kitty");
}

}  // namespace
}  // namespace lector::text
