// The Wyoming frame codec (wyoming/frame.h): any split of the byte stream decodes to the same
// events, the data block is merged into the header's data, and every limit and malformation
// is refused with an error that says what is wrong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "wyoming/frame.h"

namespace lector::wyoming {
namespace {

using json = nlohmann::json;

std::vector<Event> decode_all(FrameDecoder& d, std::string_view bytes) {
  d.feed(bytes);
  std::vector<Event> out;
  while (auto e = d.next()) out.push_back(std::move(*e));
  return out;
}

// Three events as a Python client would write them: data in the block, data in the header
// merged with a block, and a payload.
std::string sample_stream() {
  std::string s =
      encode_event("synthesize", {{"text", "Hello, wörld."}, {"voice", {{"name", "x"}}}});
  s += R"({"type":"synthesize-chunk","data":{"text":"header","keep":1},"data_length":16})"
       "\n"
       R"({"text":"block"})";
  s += encode_event("audio-chunk", {{"rate", 16000}}, std::string("\x00\x01\x02\n\x03", 5));
  s += R"({"type":"describe"})"
       "\n";
  return s;
}

void expect_sample(const std::vector<Event>& events) {
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, "synthesize");
  EXPECT_EQ(events[0].data, json({{"text", "Hello, wörld."}, {"voice", {{"name", "x"}}}}));
  EXPECT_EQ(events[1].type, "synthesize-chunk");
  EXPECT_EQ(events[1].data, json({{"text", "block"}, {"keep", 1}}));
  EXPECT_EQ(events[2].type, "audio-chunk");
  EXPECT_EQ(events[2].payload, std::string("\x00\x01\x02\n\x03", 5));
  EXPECT_EQ(events[3].type, "describe");
  EXPECT_TRUE(events[3].data.is_object());
  EXPECT_TRUE(events[3].data.empty());
}

TEST(WyomingFrame, WholeStreamDecodes) {
  FrameDecoder d;
  expect_sample(decode_all(d, sample_stream()));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WyomingFrame, EverySplitPointDecodesTheSame) {
  const std::string s = sample_stream();
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    SCOPED_TRACE(cut);
    FrameDecoder d;
    std::vector<Event> events = decode_all(d, std::string_view(s).substr(0, cut));
    for (Event& e : decode_all(d, std::string_view(s).substr(cut))) events.push_back(std::move(e));
    expect_sample(events);
  }
}

TEST(WyomingFrame, ByteByByteDecodesTheSame) {
  const std::string s = sample_stream();
  FrameDecoder d;
  std::vector<Event> events;
  for (char c : s)
    for (Event& e : decode_all(d, std::string_view(&c, 1))) events.push_back(std::move(e));
  expect_sample(events);
}

TEST(WyomingFrame, EncodePutsDataInTheBlock) {
  const std::string s = encode_event("info", {{"a", 1}}, "PCM");
  const std::size_t nl = s.find('\n');
  const json header = json::parse(s.substr(0, nl));
  EXPECT_EQ(header["type"], "info");
  EXPECT_FALSE(header.contains("data"));
  EXPECT_EQ(header["data_length"], 7);
  EXPECT_EQ(header["payload_length"], 3);
  EXPECT_EQ(header["version"], kProtocolVersion);
  EXPECT_EQ(s.substr(nl + 1), R"({"a":1}PCM)");
  // No data, no payload: the header alone.
  EXPECT_EQ(json::parse(encode_event("audio-stop")).size(), 2u);
}

TEST(WyomingFrame, EncodeReplacesInvalidUtf8) {
  const std::string s = encode_event("error", {{"text", std::string("bad \xff byte")}});
  FrameDecoder d;
  auto events = decode_all(d, s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["text"], "bad \xef\xbf\xbd byte");
}

TEST(WyomingFrame, NullDataAndLengthsAreAbsent) {
  FrameDecoder d;
  auto events =
      decode_all(d, "{\"type\":\"x\",\"data\":null,\"data_length\":null,\"payload_length\":0}\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].data.is_object());
}

void expect_error(std::string_view bytes, ErrorCode code, std::string_view words,
                  FrameLimits limits = {}) {
  FrameDecoder d(limits);
  try {
    decode_all(d, bytes);
    ADD_FAILURE() << "no error for " << std::string(bytes.substr(0, 80));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(WyomingFrame, HeaderLineLimit) {
  FrameLimits small;
  small.max_header_bytes = 100;
  // Exactly at the limit, with its newline: fine.
  const std::string at_limit = R"({"type":"x","pad":")" + std::string(100 - 21, 'a') + "\"}";
  ASSERT_EQ(at_limit.size(), 100u);
  FrameDecoder ok(small);
  EXPECT_EQ(decode_all(ok, at_limit + "\n").size(), 1u);
  // The limit's worth of bytes without a newline: still waiting; one more: refused.
  FrameDecoder waiting(small);
  EXPECT_TRUE(decode_all(waiting, std::string(100, 'a')).empty());
  EXPECT_THROW(decode_all(waiting, "a"), Error);
  expect_error(std::string(101, ' '), ErrorCode::kTooLarge, "header line over 100 bytes", small);
  // The default: 64 KiB.
  expect_error(std::string(64 * 1024 + 1, '{'), ErrorCode::kTooLarge, "65536");
}

TEST(WyomingFrame, LengthLimits) {
  expect_error(R"({"type":"x","data_length":1048577})"
               "\n",
               ErrorCode::kTooLarge, "data_length 1048577 is over the limit of 1048576");
  expect_error(R"({"type":"x","payload_length":1048577})"
               "\n",
               ErrorCode::kTooLarge, "payload_length");
  expect_error(R"({"type":"x","payload_length":18446744073709551615})"
               "\n",
               ErrorCode::kTooLarge, "payload_length");
  expect_error(R"({"type":"x","data_length":-1})"
               "\n",
               ErrorCode::kMalformed, "data_length is negative");
  expect_error(R"({"type":"x","payload_length":-5})"
               "\n",
               ErrorCode::kMalformed, "payload_length is negative");
  expect_error(R"({"type":"x","data_length":1.5})"
               "\n",
               ErrorCode::kMalformed, "not a whole number");
  expect_error(R"({"type":"x","data_length":"10"})"
               "\n",
               ErrorCode::kMalformed, "not a whole number");
  expect_error(R"({"type":"x","data_length":1e30})"
               "\n",
               ErrorCode::kMalformed, "not a whole number");
  // A payload at the limit is read whole (and nothing is returned before it is all there).
  FrameDecoder d;
  EXPECT_TRUE(decode_all(d, R"({"type":"x","payload_length":1048576})"
                            "\n")
                  .empty());
  EXPECT_TRUE(decode_all(d, std::string(1048575, 'p')).empty());
  auto events = decode_all(d, "p");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.size(), 1048576u);
}

TEST(WyomingFrame, MalformedHeaders) {
  expect_error("not json\n", ErrorCode::kMalformed, "header line is not valid JSON");
  expect_error("[1,2]\n", ErrorCode::kMalformed, "not a JSON object");
  expect_error("\"x\"\n", ErrorCode::kMalformed, "not a JSON object");
  expect_error("{}\n", ErrorCode::kMalformed, "no string field 'type'");
  expect_error("{\"type\":5}\n", ErrorCode::kMalformed, "no string field 'type'");
  expect_error("{\"type\":\"\"}\n", ErrorCode::kMalformed, "'type' is empty");
  expect_error("{\"type\":\"x\",\"data\":[1]}\n", ErrorCode::kMalformed, "'data' is not");
  expect_error("{\"type\":\"x\"}trailing\n", ErrorCode::kMalformed, "not valid JSON");
  expect_error("{\"type\":\"\xff\"}\n", ErrorCode::kMalformed, "not valid JSON");
  expect_error("\n", ErrorCode::kMalformed, "not valid JSON");
  // Deep nesting is refused, or parsed and freed, without exhausting the stack.
  expect_error(std::string(60000, '[') + "\n", ErrorCode::kMalformed, "not valid JSON");
  FrameDecoder d;
  const std::string deep =
      R"({"type":"x","a":)" + std::string(30000, '[') + std::string(30000, ']') + "}\n";
  EXPECT_EQ(decode_all(d, deep).size(), 1u);
}

TEST(WyomingFrame, MalformedDataBlocks) {
  expect_error(R"({"type":"x","data_length":3})"
               "\nabc",
               ErrorCode::kMalformed, "data block is not valid JSON");
  expect_error(R"({"type":"x","data_length":3})"
               "\n[1]",
               ErrorCode::kMalformed, "data block is not a JSON object");
}

}  // namespace
}  // namespace lector::wyoming
