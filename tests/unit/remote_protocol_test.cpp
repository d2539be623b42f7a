// The remote engine's pure parts: base URLs, voice lists in both shapes seen in the wild,
// upstream error bodies, the speech request, PCM split at odd bytes, volume. The engine itself
// runs against a real upstream in tests/e2e/test_remote.py.

#include "engine/remote_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace lector::engine::remote {
namespace {

TEST(RemoteUrl, HostPortAndPath) {
  Endpoint e = parse_base_url("http://tts.example:8880", false);
  EXPECT_FALSE(e.tls);
  EXPECT_EQ(e.host, "tts.example");
  EXPECT_EQ(e.port, "8880");
  EXPECT_EQ(e.base_path, "");
  EXPECT_EQ(e.origin(), "http://tts.example:8880");

  e = parse_base_url("http://10.0.0.2/speech/", false);
  EXPECT_EQ(e.port, "80");
  EXPECT_EQ(e.base_path, "/speech");

  e = parse_base_url("https://api.openai.com/v1", true);
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.port, "443");
  EXPECT_EQ(e.base_path, "");  // the SDKs' "/v1" is dropped: routes add it
  EXPECT_EQ(e.origin(), "https://api.openai.com:443");

  e = parse_base_url("http://[::1]:9000/x/v1/", false);
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.base_path, "/x");
  EXPECT_EQ(e.origin(), "http://[::1]:9000");
}

TEST(RemoteUrl, BadUrlsNameTheProblem) {
  auto problem = [](std::string_view url, bool tls = true) {
    try {
      parse_base_url(url, tls);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(problem("ftp://h").find("must start with http:// or https://"), std::string::npos);
  EXPECT_NE(problem("https://h", false).find("not supported"), std::string::npos);
  EXPECT_NE(problem("http://").find("no host"), std::string::npos);
  EXPECT_NE(problem("http://:80").find("no host"), std::string::npos);
  EXPECT_NE(problem("http://h:").find("empty port"), std::string::npos);
  EXPECT_NE(problem("http://h:0").find("port must be"), std::string::npos);
  EXPECT_NE(problem("http://h:65536").find("port must be"), std::string::npos);
  EXPECT_NE(problem("http://h:8x").find("port must be"), std::string::npos);
  EXPECT_NE(problem("http://[::1").find("unclosed"), std::string::npos);
  EXPECT_NE(problem("http://h/?a=1").find("query"), std::string::npos);
  // A key must never travel in the URL, where messages would show it.
  const std::string creds = problem("http://user:sk-secret@h");
  EXPECT_NE(creds.find("credentials"), std::string::npos);
  EXPECT_EQ(creds.find("sk-secret"), std::string::npos) << creds;
}

TEST(RemoteUrl, Redacted) {
  EXPECT_EQ(redact_url("http://u:sk@h:1/p@x"), "http://***@h:1/p@x");
  EXPECT_EQ(redact_url("cloud=http://u:sk@h"), "cloud=http://***@h");
  EXPECT_EQ(redact_url("http://h:1/a@b"), "http://h:1/a@b");
  EXPECT_EQ(redact_url("plain"), "plain");
}

TEST(RemoteVoices, KokoroStrings) {
  const auto v =
      parse_voice_list(R"({"voices": ["af_heart", "am_adam", "af_heart", "", 7]})", 24000);
  ASSERT_EQ(v.size(), 2u);  // the duplicate, the empty name and the number are skipped
  EXPECT_EQ(v[0].name, "af_heart");
  EXPECT_EQ(v[0].display_name, "af_heart");
  EXPECT_EQ(v[0].language, "und");
  EXPECT_EQ(v[0].gender, Gender::kUnknown);
  EXPECT_EQ(v[0].sample_rate, 24000);
  EXPECT_EQ(v[1].name, "am_adam");
}

TEST(RemoteVoices, Objects) {
  const auto v = parse_voice_list(R"json({"voices": [
      {"id": "espeak:en-us", "name": "English (America)", "languages": ["en-US", "en"],
       "gender": "male", "engine": "espeak", "sample_rate": 22050},
      {"id": "bf_emma", "name": "Emma", "language": "en-GB", "gender": "Female"},
      {"name": "only-a-name"},
      {"id": "espeak:af", "name": "af", "display_name": "Afrikaans", "languages": ["af"]},
      {"id": "has space"},
      {"gender": "female"}]})json",
                                  24000);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].name, "espeak:en-us");
  EXPECT_EQ(v[0].display_name, "English (America)");
  EXPECT_EQ(v[0].language, "en-US");
  EXPECT_EQ(v[0].gender, Gender::kMale);
  EXPECT_EQ(v[0].sample_rate, 24000);  // what the pcm format delivers, not the upstream's own
  EXPECT_EQ(v[1].language, "en-GB");
  EXPECT_EQ(v[1].gender, Gender::kFemale);
  EXPECT_EQ(v[2].name, "only-a-name");
  EXPECT_EQ(v[2].language, "und");
  EXPECT_EQ(v[3].name, "espeak:af");  // Lector's shape: the id, and its display_name
  EXPECT_EQ(v[3].display_name, "Afrikaans");
}

TEST(RemoteVoices, NotAVoiceList) {
  for (const char* body : {"", "<html>", R"({"data": []})", R"({"voices": "alloy"})", "42"}) {
    EXPECT_THROW(parse_voice_list(body, 24000), Error) << body;
  }
  EXPECT_EQ(parse_voice_list(R"(["a", "b"])", 24000).size(), 2u);  // a bare list is fine
  EXPECT_TRUE(parse_voice_list(R"({"voices": []})", 24000).empty());
}

TEST(RemoteVoices, OpenAiFallback) {
  const auto v = openai_voices(24000);
  std::vector<std::string> names;
  for (const auto& x : v) names.push_back(x.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"alloy", "ash", "ballad", "coral", "echo", "fable", "nova",
                                      "onyx", "sage", "shimmer", "verse", "marin", "cedar"}));
  EXPECT_EQ(v[0].display_name, "Alloy");
}

TEST(RemoteRequest, SpeechBody) {
  const auto body =
      nlohmann::json::parse(speech_request_body("tts-1", "alloy", "Say \"hi\"\n\u00e9", 1.25));
  EXPECT_EQ(body.at("model"), "tts-1");
  EXPECT_EQ(body.at("voice"), "alloy");
  EXPECT_EQ(body.at("input"), "Say \"hi\"\n\u00e9");
  EXPECT_EQ(body.at("response_format"), "pcm");
  EXPECT_EQ(body.at("speed"), 1.25);
  EXPECT_EQ(body.size(), 5u);
}

TEST(RemoteErrors, MessagesOfEveryShape) {
  EXPECT_EQ(upstream_error_message(
                R"({"error": {"message": "Incorrect API key provided.", "type": "x"}})"),
            "Incorrect API key provided.");
  EXPECT_EQ(upstream_error_message(R"({"error": "parameter 'voice': unknown"})"),
            "parameter 'voice': unknown");
  EXPECT_EQ(upstream_error_message(R"({"detail": "Voice not found"})"), "Voice not found");
  EXPECT_EQ(upstream_error_message(R"({"detail": [{"loc": ["body"], "msg": "field required"}]})"),
            "field required");
  EXPECT_EQ(upstream_error_message("Bad Gateway\r\n"), "Bad Gateway");
  EXPECT_EQ(upstream_error_message(""), "");
  const std::string longer = upstream_error_message(std::string(1000, 'x'));
  EXPECT_EQ(longer.size(), 203u);  // 200 and "..."
}

TEST(RemotePcm, OddSplitsCarryTheByte) {
  // Samples 0x0201, -2 (0xFFFE), 0x7F00 as s16le, fed in pieces of 1, 3 and 2 bytes.
  const std::string bytes("\x01\x02\xFE\xFF\x00\x7F", 6);
  PcmAssembler a;
  std::vector<std::int16_t> out, all;
  for (auto [at, n] : {std::pair{0, 1}, {1, 3}, {4, 2}}) {
    a.feed(
        std::string_view(bytes).substr(static_cast<std::size_t>(at), static_cast<std::size_t>(n)),
        out);
    all.insert(all.end(), out.begin(), out.end());
  }
  EXPECT_EQ(all, (std::vector<std::int16_t>{0x0201, -2, 0x7F00}));
  EXPECT_FALSE(a.partial());
  a.feed(std::string_view("\x05", 1), out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(a.partial());
  a.feed(std::string_view(), out);  // nothing new: still waiting
  EXPECT_TRUE(a.partial());
}

TEST(RemotePcm, EverySplitOfAStreamGivesTheSameSamples) {
  std::string bytes;
  std::vector<std::int16_t> expected;
  for (int i = 0; i < 50; ++i) {
    const auto s = static_cast<std::int16_t>(i * 1237 - 30000);
    expected.push_back(s);
    bytes.push_back(static_cast<char>(static_cast<std::uint16_t>(s) & 0xFF));
    bytes.push_back(static_cast<char>(static_cast<std::uint16_t>(s) >> 8));
  }
  for (std::size_t piece = 1; piece <= 9; ++piece) {
    PcmAssembler a;
    std::vector<std::int16_t> out, all;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      a.feed(std::string_view(bytes).substr(at, piece), out);
      all.insert(all.end(), out.begin(), out.end());
    }
    EXPECT_EQ(all, expected) << "pieces of " << piece;
  }
}

TEST(RemotePcm, VolumeSaturates) {
  std::vector<std::int16_t> pcm{1000, -1000, 30000, -30000, 3};
  apply_volume(pcm, 2.0);
  EXPECT_EQ(pcm, (std::vector<std::int16_t>{2000, -2000, 32767, -32768, 6}));
  apply_volume(pcm, 0.0);
  EXPECT_EQ(pcm, (std::vector<std::int16_t>{0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace lector::engine::remote
