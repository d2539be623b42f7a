#include <gtest/gtest.h>

#include "api/query.h"
#include "audio/wav.h"
#include "core/error.h"

namespace lector {
namespace {

TEST(Query, SplitsPathAndDecodesParameters) {
  const api::Target t = api::parse_target("/tts?text=Hello%2C+w%C3%B6rld%21&voice=en-us&flag&=x");
  EXPECT_EQ(t.path, "/tts");
  EXPECT_EQ(t.get("text"), "Hello, wörld!");
  EXPECT_EQ(t.get("voice"), "en-us");
  EXPECT_EQ(t.get("flag"), "");
  EXPECT_FALSE(t.get("engine").has_value());
}

TEST(Query, FirstValueWins) {
  EXPECT_EQ(api::parse_target("/x?a=1&a=2").get("a"), "1");
}

TEST(Query, MalformedEscapeIsABadParameter) {
  try {
    api::parse_target("/tts?text=%E");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
  }
  EXPECT_THROW(api::parse_target("/tts?text=%zz"), Error);
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
