#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "audio/wav.h"
#include "core/error.h"
#include "http/target.h"

namespace lector {
namespace {

std::optional<std::string> param(const http::Target& t, std::string_view name) {
  return api::HttpRequest{"GET", t.path, t.params, {}, {}, {}, {}, {}}.param(name);
}

TEST(Query, SplitsPathAndDecodesParameters) {
  const http::Target t = http::parse_target("/tts?text=Hello%2C+w%C3%B6rld%21&voice=en-us&flag&=x");
  EXPECT_EQ(t.path, "/tts");
  EXPECT_EQ(param(t, "text"), "Hello, wörld!");
  EXPECT_EQ(param(t, "voice"), "en-us");
  EXPECT_EQ(param(t, "flag"), "");
  EXPECT_EQ(param(t, ""), "x");
  EXPECT_FALSE(param(t, "engine").has_value());
  const api::QueryParams expected = {
      {"text", "Hello, wörld!"}, {"voice", "en-us"}, {"flag", ""}, {"", "x"}};
  EXPECT_EQ(t.params, expected);
}

TEST(Query, FirstValueWins) {
  EXPECT_EQ(param(http::parse_target("/x?a=1&a=2"), "a"), "1");
}

TEST(Query, DecodesThePathButNotPlusInIt) {
  const http::Target t = http::parse_target("/a%20b+c?x=%2B+%26");
  EXPECT_EQ(t.path, "/a b+c");
  EXPECT_EQ(param(t, "x"), "+ &");
}

TEST(Query, EmptyPairsAndFragmentAreDropped) {
  const http::Target t = http::parse_target("/x?&&a=1&&b=2#frag&c=3");
  const api::QueryParams expected = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(t.params, expected);
}

TEST(Query, StrayCharactersAreTakenAsTheyAre) {
  // Browsers send '|', '{' and raw UTF-8 unescaped in a query; RFC 3986 does not allow them.
  const http::Target t = http::parse_target("/tts?text=a|b{c}\xc3\xa9\"");
  EXPECT_EQ(param(t, "text"), "a|b{c}\xc3\xa9\"");
}

TEST(Query, DecodedBytesNeedNotBeUtf8) {
  EXPECT_EQ(param(http::parse_target("/tts?text=%FF%00"), "text"), std::string("\xff\0", 2));
  EXPECT_EQ(http::parse_target("/%FF").path, "/\xff");
}

TEST(Query, AbsoluteFormAndAsterisk) {
  const http::Target t = http::parse_target("http://example.com:8000/voices?engine=espeak");
  EXPECT_EQ(t.path, "/voices");
  EXPECT_EQ(param(t, "engine"), "espeak");
  EXPECT_EQ(http::parse_target("http://example.com").path, "/");
  EXPECT_EQ(http::parse_target("*").path, "*");
  EXPECT_EQ(http::parse_target("//x/y").path, "//x/y");  // a path, not an authority
}

void expect_malformed(std::string_view target, const std::string& message) {
  try {
    http::parse_target(target);
    ADD_FAILURE() << "no error for " << target;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kMalformed) << target;
    EXPECT_EQ(e.what(), message) << target;
    EXPECT_EQ(error_spec(e.code()).http_status, 400);
  }
}

TEST(Query, MalformedEscapeNamesThePart) {
  expect_malformed("/tts?text=%E", "malformed percent-escape in the query string");
  expect_malformed("/tts?text=%zz", "malformed percent-escape in the query string");
  expect_malformed("/tts?text=ab%4", "malformed percent-escape in the query string");
  expect_malformed("/t%Gts?text=a", "malformed percent-escape in the path");
  expect_malformed("/tts%", "malformed percent-escape in the path");
}

TEST(Wav, StreamingHeaderHasUnknownSizes) {
  const std::string h = audio::wav_header(22050);
  ASSERT_EQ(h.size(), audio::kWavHeaderBytes);
  EXPECT_EQ(h.substr(0, 4), "RIFF");
  EXPECT_EQ(h.substr(8, 8), "WAVEfmt ");
  auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(h[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(h[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(h[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(h[at + 3])) << 24;
  };
  EXPECT_EQ(u32(4), 0xFFFFFFFFu);
  EXPECT_EQ(u32(24), 22050u);
  EXPECT_EQ(u32(28), 44100u);
  EXPECT_EQ(u32(40), 0xFFFFFFFFu);
  EXPECT_EQ(h[22], 1);   // mono
  EXPECT_EQ(h[34], 16);  // bits per sample
}

TEST(Wav, SizedHeader) {
  const std::string h = audio::wav_header(16000, 1000);
  EXPECT_EQ(static_cast<unsigned char>(h[4]) | static_cast<unsigned char>(h[5]) << 8, 1036);
  EXPECT_EQ(static_cast<unsigned char>(h[40]) | static_cast<unsigned char>(h[41]) << 8, 1000);
}

}  // namespace
}  // namespace lector
