// The SSML parser (text/ssml.h): every element, nesting, the caps, hostile and malformed
// documents.

#include "text/ssml.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace lector::text {
namespace {

std::vector<SsmlPiece> parse(const std::string& doc) {
  return parse_ssml(doc);
}

// The message of the error parsing `doc` throws; fails the test when it does not throw or
// the error does not name the parameter.
std::string error_of(const std::string& doc, const char* param = "text") {
  try {
    parse_ssml(doc, SsmlLimits{}, param);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    EXPECT_EQ(e.param(), param);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << doc;
  return {};
}

TEST(Ssml, PlainTextInsideSpeak) {
  const auto p = parse("<speak>Hello   world.\n  How are you?</speak>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "Hello world. How are you?");
  EXPECT_EQ(p[0].voice, "");
  EXPECT_EQ(p[0].params, SynthParams{});
  EXPECT_FALSE(p[0].is_pause());
}

TEST(Ssml, DeclarationNamespaceCommentsAndCdata) {
  const auto p = parse(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\n"
      "<speak version=\"1.1\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">"
      "A <!-- <break time='9s'/> --> B <![CDATA[<not a tag> & more]]></speak>\n<!-- end -->\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "A B <not a tag> & more");
  EXPECT_EQ(p[0].language, "en-US");
}

TEST(Ssml, PredefinedEntitiesAndCharacterReferences) {
  const auto p =
      parse("<speak>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#65;&#x42;&#x20AC;</speak>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "<a> & \"b\" 'c' AB\xE2\x82\xAC");
}

TEST(Ssml, ParagraphsAndSentencesArePieces) {
  const auto p = parse("<speak><p><s>One.</s><s>Two</s></p><p>Three</p></speak>");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].text, "One.");
  EXPECT_EQ(p[1].text, "Two");
  EXPECT_EQ(p[2].text, "Three");
}

TEST(Ssml, BreakTimesAndStrengths) {
  const auto p = parse(
      "<speak>a<break time=\"500ms\"/>b<break time='2s'/>c<break time=\"1.5s\"></break>d"
      "<break/>e<break strength=\"x-weak\"/>f<break strength=\"weak\"/>g<break "
      "strength=\"strong\"/>h<break strength=\"x-strong\"/>i<break strength=\"none\"/>j</speak>");
  std::vector<int> pauses;
  std::string texts;
  for (const auto& piece : p) {
    if (piece.is_pause()) {
      pauses.push_back(piece.break_ms);
    } else {
      texts += piece.text;
    }
  }
  EXPECT_EQ(texts, "abcdefghij");
  EXPECT_EQ(pauses, (std::vector<int>{500, 2000, 1500, 500, 100, 250, 1000, 2000}));
}

TEST(Ssml, AdjacentBreaksAddUp) {
  const auto p = parse("<speak>a<break time='1s'/><break time='300ms'/>b</speak>");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1].break_ms, 1300);
}

TEST(Ssml, BadBreaks) {
  EXPECT_NE(error_of("<speak><break time='11s'/></speak>").find("cap of 10 s"), std::string::npos);
  EXPECT_NE(error_of("<speak><break time='fast'/></speak>").find("<break>"), std::string::npos);
  EXPECT_NE(error_of("<speak><break time='-1s'/></speak>").find("duration"), std::string::npos);
  EXPECT_NE(error_of("<speak><break strength='huge'/></speak>").find("strength 'huge'"),
            std::string::npos);
  // Seven 9 s breaks: 63 s in all, over the 60 s cap.
  std::string doc = "<speak>";
  for (int i = 0; i < 7; ++i) doc += "x<break time='9s'/>";
  EXPECT_NE(error_of(doc + "</speak>").find("more than 60 s"), std::string::npos);
}

TEST(Ssml, ProsodyValues) {
  const auto rate = [](const std::string& v) {
    return parse("<speak><prosody rate=\"" + v + "\">x</prosody></speak>").at(0).params.speed;
  };
  EXPECT_DOUBLE_EQ(rate("x-slow"), 0.5);
  EXPECT_DOUBLE_EQ(rate("slow"), 0.75);
  EXPECT_DOUBLE_EQ(rate("medium"), 1.0);
  EXPECT_DOUBLE_EQ(rate("fast"), 1.5);
  EXPECT_DOUBLE_EQ(rate("x-fast"), 2.0);
  EXPECT_DOUBLE_EQ(rate("150%"), 1.5);
  EXPECT_DOUBLE_EQ(rate("50%"), 0.5);
  EXPECT_DOUBLE_EQ(rate("+20%"), 1.2);
  EXPECT_DOUBLE_EQ(rate("-20%"), 0.8);
  EXPECT_DOUBLE_EQ(rate("1.3"), 1.3);
  EXPECT_DOUBLE_EQ(rate("10"), 4.0);    // clamped to the server's range
  EXPECT_DOUBLE_EQ(rate("10%"), 0.25);  // clamped

  const auto pitch = [](const std::string& v) {
    return parse("<speak><prosody pitch=\"" + v + "\">x</prosody></speak>").at(0).params.pitch;
  };
  EXPECT_DOUBLE_EQ(pitch("x-low"), 0.7);
  EXPECT_DOUBLE_EQ(pitch("high"), 1.15);
  EXPECT_DOUBLE_EQ(pitch("+10%"), 1.1);
  EXPECT_NEAR(pitch("-2st"), std::pow(2.0, -2.0 / 12), 1e-12);
  EXPECT_NEAR(pitch("+12st"), 2.0, 1e-12);

  const auto volume = [](const std::string& v) {
    return parse("<speak><prosody volume=\"" + v + "\">x</prosody></speak>").at(0).params.volume;
  };
  EXPECT_DOUBLE_EQ(volume("silent"), 0.0);
  EXPECT_DOUBLE_EQ(volume("x-soft"), 0.25);
  EXPECT_DOUBLE_EQ(volume("x-loud"), 2.0);
  EXPECT_NEAR(volume("+6dB"), std::pow(10.0, 6.0 / 20), 1e-12);
  EXPECT_NEAR(volume("-3dB"), std::pow(10.0, -3.0 / 20), 1e-12);
  EXPECT_DOUBLE_EQ(volume("50%"), 0.5);
}

TEST(Ssml, BadProsody) {
  EXPECT_NE(error_of("<speak><prosody rate='quick'>x</prosody></speak>").find("rate 'quick'"),
            std::string::npos);
  EXPECT_NE(error_of("<speak><prosody pitch='200Hz'>x</prosody></speak>").find("pitch"),
            std::string::npos);
  EXPECT_NE(error_of("<speak><prosody volume='-150%'>x</prosody></speak>").find("volume"),
            std::string::npos);
  EXPECT_NE(error_of("<speak><prosody rate='0'>x</prosody></speak>").find("above 0"),
            std::string::npos);
}

TEST(Ssml, NestedProsodyMultipliesAndSplitsPieces) {
  const auto p = parse(
      "<speak>a <prosody rate='x-fast' volume='50%'>b <prosody rate='50%' pitch='high'>c"
      "</prosody> d</prosody> e</speak>");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].text, "a");
  EXPECT_EQ(p[1].text, "b");
  EXPECT_DOUBLE_EQ(p[1].params.speed, 2.0);
  EXPECT_DOUBLE_EQ(p[1].params.volume, 0.5);
  EXPECT_EQ(p[2].text, "c");
  EXPECT_DOUBLE_EQ(p[2].params.speed, 1.0);
  EXPECT_DOUBLE_EQ(p[2].params.pitch, 1.15);
  EXPECT_DOUBLE_EQ(p[2].params.volume, 0.5);
  EXPECT_EQ(p[3].text, "d");
  EXPECT_DOUBLE_EQ(p[3].params.speed, 2.0);
  EXPECT_EQ(p[4].text, "e");
  EXPECT_EQ(p[4].params, SynthParams{});
}

TEST(Ssml, NestedProductIsClampedOnlyAtTheEnd) {
  // 4 × 4 × 0.25 = 4: each level's product is kept, only the result is clamped.
  const auto p = parse(
      "<speak><prosody rate='4'><prosody rate='4'><prosody rate='0.25'>x</prosody></prosody>"
      "</prosody></speak>");
  EXPECT_DOUBLE_EQ(p.at(0).params.speed, 4.0);
}

TEST(Ssml, VoiceSwitchesAndReturns) {
  const auto p = parse(
      "<speak>one <voice name=\"flite:slt\">two <voice name='en-gb'>three</voice></voice> "
      "four</speak>");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].voice, "");
  EXPECT_EQ(p[1].voice, "flite:slt");
  EXPECT_EQ(p[2].voice, "en-gb");
  EXPECT_EQ(p[3].voice, "");
  EXPECT_EQ(p[3].text, "four");
}

TEST(Ssml, VoiceWithTheSameContextDoesNotSplit) {
  const auto p = parse("<speak><voice gender='female'>a</voice> b</speak>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "a b");
}

TEST(Ssml, LanguageFromLangVoiceAndSpeak) {
  const auto p = parse(
      "<speak xml:lang='en-US'>a <lang xml:lang='fr-FR'>b</lang> <voice xml:lang='de'>c</voice>"
      "</speak>");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].language, "en-US");
  EXPECT_EQ(p[1].language, "fr-FR");
  EXPECT_EQ(p[2].language, "de");
}

TEST(Ssml, SayAs) {
  const auto one = [](const std::string& inner) {
    const auto p = parse("<speak>" + inner + "</speak>");
    EXPECT_EQ(p.size(), 1u);
    return p.empty() ? std::string() : p[0].text;
  };
  EXPECT_EQ(one("<say-as interpret-as='characters'>NASA</say-as>"), "N A S A");
  EXPECT_EQ(one("<say-as interpret-as='spell-out'>ab c</say-as>"), "a b c");
  EXPECT_EQ(one("<say-as interpret-as='characters'>\xC3\xA9t\xC3\xA9</say-as>"),
            "\xC3\xA9 t \xC3\xA9");
  EXPECT_EQ(one("call <say-as interpret-as='digits'>555-1234</say-as> now"),
            "call 5 5 5 - 1 2 3 4 now");
  EXPECT_EQ(one("<say-as interpret-as='cardinal'>42</say-as>"), "42");
  EXPECT_EQ(one("<say-as interpret-as='date' format='mdy'>12/25/2024</say-as>"), "12/25/2024");
  EXPECT_EQ(one("<say-as interpret-as='telephone'>+1 555 0100</say-as>"), "+1 555 0100");
  EXPECT_EQ(one("<say-as interpret-as='made-up'>as text</say-as>"), "as text");
}

TEST(Ssml, SubAudioMarkAndUnknownElements) {
  const auto p = parse(
      "<speak>The <sub alias=\"World Wide Web Consortium\">W3C</sub> says <mark name='m1'/>"
      "<audio src='https://example.com/x.wav'>a beep</audio> <foo:bar>unknown</foo:bar> "
      "<phoneme ph='x'>word</phoneme></speak>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "The World Wide Web Consortium says a beep unknown word");
}

TEST(Ssml, Emphasis) {
  const auto p = parse(
      "<speak><emphasis level='strong'>a</emphasis><emphasis>b</emphasis>"
      "<emphasis level='reduced'>c</emphasis><emphasis level='none'>d</emphasis></speak>");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_LT(p[0].params.speed, 1.0);
  EXPECT_GT(p[0].params.volume, p[1].params.volume);
  EXPECT_GT(p[1].params.volume, 1.0);
  EXPECT_LT(p[2].params.volume, 1.0);
  EXPECT_EQ(p[3].params, SynthParams{});
  EXPECT_NE(error_of("<speak><emphasis level='max'>a</emphasis></speak>").find("level 'max'"),
            std::string::npos);
}

TEST(Ssml, EmptySpeakAndOnlyBreaks) {
  EXPECT_TRUE(parse("<speak/>").empty());
  const auto p = parse("<speak><break time='1s'/></speak>");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].break_ms, 1000);
}

TEST(Ssml, Caps) {
  std::string deep = "<speak>";
  for (int i = 0; i < 15; ++i) deep += "<p>";
  std::string closing;
  for (int i = 0; i < 15; ++i) closing += "</p>";
  EXPECT_EQ(parse(deep + "x" + closing + "</speak>").size(), 1u);  // 16 levels: allowed
  EXPECT_NE(error_of(deep + "<s>x</s>" + closing + "</speak>").find("deeper than 16"),
            std::string::npos);

  std::string many = "<speak>";
  for (int i = 0; i < 999; ++i) many += "<mark/>";
  EXPECT_TRUE(parse(many + "</speak>").empty());  // 1,000 elements with the root
  EXPECT_NE(error_of(many + "<mark/></speak>").find("more than 1000 elements"), std::string::npos);

  SsmlLimits tight;
  tight.max_break_ms = 100;
  EXPECT_THROW(parse_ssml("<speak><break time='200ms'/></speak>", tight), Error);
}

TEST(Ssml, BillionLaughsIsRefused) {
  const std::string doc =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      "]>\n"
      "<speak>&lol3;</speak>";
  const std::string e = error_of(doc);
  EXPECT_NE(e.find("DTD"), std::string::npos) << e;
  EXPECT_NE(e.find("line 2, column 1"), std::string::npos) << e;
}

TEST(Ssml, ExternalEntityIsRefused) {
  EXPECT_NE(error_of("<?xml version=\"1.0\"?><!DOCTYPE speak [<!ENTITY xxe SYSTEM "
                     "\"file:///etc/passwd\">]><speak>&xxe;</speak>")
                .find("DTD"),
            std::string::npos);
  // An undeclared entity reference, without a DTD, is refused too.
  EXPECT_NE(error_of("<speak>&xxe;</speak>").find("entity '&xxe;' is not allowed"),
            std::string::npos);
  EXPECT_NE(error_of("<speak><!ENTITY x 'y'></speak>").find("declarations"), std::string::npos);
}

TEST(Ssml, MalformedDocuments) {
  const auto has = [](const std::string& doc, const std::string& part) {
    const std::string e = error_of(doc);
    EXPECT_NE(e.find(part), std::string::npos) << doc << " -> " << e;
  };
  has("<speak>unclosed", "unclosed element <speak>");
  has("<speak><p>unclosed</speak>", "does not match <p>");
  has("<speak><p>a</s></speak>", "end tag </s> does not match <p>");
  has("<speak><prosody rate=fast>x</prosody></speak>", "needs a quoted value");
  has("<speak><prosody rate='fast>x</prosody></speak>", "'<' in the value");
  has("<speak>a < b</speak>", "'<' in text must be written &lt;");
  has("<speak>a & b</speak>", "'&' must be written &amp;");
  has("<speak>&#0;</speak>", "bad character reference");
  has("<speak>&#xD800;</speak>", "bad character reference");
  has("<speak><p a='1' a='2'>x</p></speak>", "given twice");
  has("<speak><?php echo 1 ?></speak>", "processing instructions");
  has("<speak>x</speak>trailing", "content after the </speak> root");
  has("<speak>x</speak><speak>y</speak>", "content after the </speak> root");
  has("text <speak>x</speak>", "text before the <speak> root");
  has("<voice>x</voice>", "root element must be <speak>");
  has("", "no <speak> root");
  has("<speak><!-- never closed </speak>", "unterminated comment");
  has("<speak><![CDATA[open</speak>", "unterminated CDATA");
  has("<speak\n><p\n>\n  <s", "unterminated start tag <s>");
  has("<speak>\xff</speak>", "not valid UTF-8");
}

TEST(Ssml, ErrorsSayWhereAndNameTheRouteParameter) {
  const std::string e = error_of("<speak>\n  <p>fine</p>\n  <s>bad</p>\n</speak>", "input");
  EXPECT_NE(e.find("parameter 'input'"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3, column 9"), std::string::npos) << e;
}

TEST(Ssml, LooksLikeSsml) {
  EXPECT_TRUE(looks_like_ssml("<speak>hi</speak>"));
  EXPECT_TRUE(looks_like_ssml("  \n<speak version='1.1'>hi</speak>"));
  EXPECT_TRUE(looks_like_ssml("<?xml version='1.0'?>\n<speak>hi</speak>"));
  EXPECT_TRUE(looks_like_ssml("\xEF\xBB\xBF<speak/>"));
  // An XML document is SSML to be parsed, so that its DTD is refused rather than spoken.
  EXPECT_TRUE(looks_like_ssml("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><speak/>"));
  EXPECT_TRUE(looks_like_ssml("<!DOCTYPE speak><speak/>"));
  EXPECT_FALSE(looks_like_ssml("<speaker> is a word"));
  EXPECT_FALSE(looks_like_ssml("<b>bold</b>"));
  EXPECT_FALSE(looks_like_ssml("< speak"));
  EXPECT_FALSE(looks_like_ssml("hello <speak>"));
  EXPECT_FALSE(looks_like_ssml("<speak"));
}

}  // namespace
}  // namespace lector::text
