// festival's pure text helpers (engine/festival_text.h): golden input -> output tables.

#include "engine/festival_text.h"

#include <gtest/gtest.h>

#include <string>

namespace lector::engine::festival_text {
namespace {

struct Case {
  std::string in;
  std::string out;
};

TEST(FestivalText, PlainPunctuationMapsTypographicMarksToAscii) {
  const Case kCases[] = {
      {"", ""},
      {"plain ASCII, untouched.", "plain ASCII, untouched."},
      {"\u00ABbonjour\u00BB", "\"bonjour\""},
      {"\u201Cquoted\u201D \u201Elow\u201F", "\"quoted\" \"low\""},
      {"it\u2019s \u2018single\u2019 \u201Alow\u201B", "it's 'single' 'low'"},
      // A dash joins the word before it as a comma, whatever kind of dash and spacing before
      // it (the space after the comma doubles one that follows: festival's tokenizer does not
      // care).
      {"a \u2014 b", "a,  b"},
      {"a\u2013b", "a, b"},
      {"a   \u2012 b", "a,  b"},
      {"\u2015start", ", start"},
      {"wait\u2026 what", "wait... what"},
      // Other non-ASCII text and invalid UTF-8 pass through byte for byte.
      {"Grüße, café — naïve", "Grüße, café,  naïve"},
      {"Съешь \u00ABещё\u00BB", "Съешь \"ещё\""},
      {std::string("a\xFF\xE2\x80") + "b", std::string("a\xFF\xE2\x80") + "b"},
      {std::string("\xE2\x80") + "\u2014", std::string("\xE2\x80") + ", "},
  };
  for (const Case& c : kCases) EXPECT_EQ(plain_punctuation(c.in), c.out) << c.in;
}

TEST(FestivalText, ToVoiceCharsetConvertsOrTransliterates) {
  struct CharsetCase {
    std::string in;
    std::string coding;
    std::string out;
  };
  const CharsetCase kCases[] = {
      {"Hello there.", "", "Hello there."},
      // English voices read ASCII: accents are dropped, unknown scripts become '?'.
      {"café naïve", "", "cafe naive"},
      {"Grüße", "", "Grusse"},
      {"日本", "", "??"},
      // Invalid UTF-8: each ill-formed sequence becomes one space, the rest survives.
      {std::string("a\xFF") + "b", "", "a b"},
      {std::string("a\xE2\x80") + "b", "", "a b"},
      {std::string("end\xE2\x80"), "", "end "},
      // NUL bytes would end festival's C string.
      {std::string("a\0b", 3), "", "a b"},
      {std::string("a\0b", 3), "utf-8", "a b"},
      // Voices that declare a charset get it.
      {"Příliš žluťoučký", "iso-8859-2", "P\xF8\xEDli\xB9 \xBElu\xBBou\xE8k\xFD"},
      {"ещё", "koi8-r", "\xC5\xDD\xA3"},
      {"यह", "utf-8", "यह"},
      // An unknown charset: the text as it is.
      {"café", "no-such-charset", "café"},
  };
  for (const CharsetCase& c : kCases)
    EXPECT_EQ(to_voice_charset(c.in, c.coding), c.out) << c.in << " as " << c.coding;
}

TEST(FestivalText, DescriptionsBecomeVoiceInfoFields) {
  EXPECT_EQ(to_bcp47("english", "american"), "en-US");
  EXPECT_EQ(to_bcp47("English", "British"), "en-GB");
  EXPECT_EQ(to_bcp47("english", "scottish"), "en-GB");
  EXPECT_EQ(to_bcp47("english", ""), "en");
  EXPECT_EQ(to_bcp47("Czech", ""), "cs");
  EXPECT_EQ(to_bcp47("telugu", "nil"), "te");
  EXPECT_EQ(to_bcp47("klingon", ""), "und");
  EXPECT_EQ(to_bcp47("", ""), "und");

  EXPECT_EQ(display_name("english", "american", Gender::kMale, "kal_diphone"),
            "English (American), male: kal_diphone");
  EXPECT_EQ(display_name("czech", "nil", Gender::kFemale, "czech_dita"),
            "Czech, female: czech_dita");
  EXPECT_EQ(display_name("", "", Gender::kUnknown, "x"), "Unknown, unknown: x");

  EXPECT_EQ(to_gender("male"), Gender::kMale);
  EXPECT_EQ(to_gender("Female"), Gender::kFemale);
  EXPECT_EQ(to_gender(""), Gender::kUnknown);
  EXPECT_EQ(to_gender("robot"), Gender::kUnknown);
}

TEST(FestivalText, OnlyPlainNamesAndNumbersReachTheSchemeReader) {
  EXPECT_TRUE(is_plain_name("cmu_us_slt_arctic_hts"));
  EXPECT_TRUE(is_plain_name("voice-2"));
  EXPECT_FALSE(is_plain_name(""));
  EXPECT_FALSE(is_plain_name("a b"));
  EXPECT_FALSE(is_plain_name("x)(quit"));
  EXPECT_FALSE(is_plain_name("\"x\""));
  EXPECT_FALSE(is_plain_name("café"));

  EXPECT_EQ(format_number(1.0), "1");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(0.25), "0.25");
  EXPECT_EQ(format_number(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(lower("MiXeD 123"), "mixed 123");
}

}  // namespace
}  // namespace lector::engine::festival_text
