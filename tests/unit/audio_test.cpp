// The audio pipeline, tested by decoding what it writes with the codecs' reference libraries
// (audio_decode.h) and measuring the signal that comes back (audio_signal.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "audio/encoder.h"
#include "audio/format.h"
#include "audio/resampler.h"
#include "audio/transcoder.h"
#include "audio_decode.h"
#include "audio_signal.h"
#include "core/error.h"

namespace lector::audio {
namespace {

using testing::decode;
using testing::Decoded;
using testing::dominant_frequency;
using testing::sine;

constexpr double kTone = 440.0;

std::string s16le(const std::vector<std::int16_t>& pcm) {
  std::string bytes;
  for (const std::int16_t s : pcm) {
    bytes.push_back(static_cast<char>(static_cast<std::uint16_t>(s) & 0xff));
    bytes.push_back(static_cast<char>(static_cast<std::uint16_t>(s) >> 8));
  }
  return bytes;
}

// What one response's encoder produced: the body, and after each write() how much input had
// gone in and how many bytes had come out (the prefix a client had at that moment).
struct Encoded {
  std::string bytes;
  std::vector<std::size_t> fed;
  std::vector<std::size_t> sent;
};

Encoded encode(Format format, int rate, const std::vector<std::int16_t>& pcm, std::size_t chunk) {
  Encoded e;
  auto enc = make_encoder(format, rate);
  for (std::size_t at = 0; at < pcm.size(); at += chunk) {
    const std::size_t n = std::min(chunk, pcm.size() - at);
    enc->write(std::span(pcm).subspan(at, n), e.bytes);
    e.fed.push_back(at + n);
    e.sent.push_back(e.bytes.size());
  }
  enc->finish(e.bytes);
  return e;
}

// The longest a decoded stream may exceed its input, in seconds at `rate`. wav, pcm, flac:
// nothing. Opus: nothing (OpusHead's pre-skip and the last page's granule position trim the
// codec's delay and padding; the 48 kHz granule is rounded up, hence one sample). MP3 carries
// no trim information without the LAME tag, so a decoder plays LAME's delay (576 + 529
// samples) and the padding of the last frame and of the flush (up to two more frames).
double allowed_excess(Format format, int rate) {
  if (format == Format::kOpus) return 1.0 / 48000;
  if (format != Format::kMp3) return 0;
  const int frame = rate >= 32000 ? 1152 : 576;
  return (1105.0 + 3 * frame) / rate;
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Format, int>>& p) {
  return std::string(to_string(std::get<0>(p.param))) + std::to_string(std::get<1>(p.param));
}

class EveryFormatAndRate : public ::testing::TestWithParam<std::tuple<Format, int>> {};

TEST_P(EveryFormatAndRate, DecodesToTheRateLengthAndToneItWasGiven) {
  const auto [format, rate] = GetParam();
  const auto input = sine(rate, kTone, 1.3);
  // 20 ms writes, as a synthesis stream delivers them.
  const Encoded e = encode(format, rate, input, static_cast<std::size_t>(rate / 50));
  const Decoded d = decode(to_string(format), e.bytes, rate);
  EXPECT_EQ(d.sample_rate, rate);
  EXPECT_EQ(d.channels, 1);
  const double in_seconds = static_cast<double>(input.size()) / rate;
  EXPECT_GE(d.seconds(), in_seconds - 1e-9);
  EXPECT_LE(d.seconds(), in_seconds + allowed_excess(format, rate) + 1e-9);
  EXPECT_NEAR(dominant_frequency(d.pcm, d.decoded_rate), kTone, 5.0);
  if (format == Format::kWav || format == Format::kPcm || format == Format::kFlac) {
    EXPECT_EQ(d.pcm, input);
  }
  if (format == Format::kOpus) {
    EXPECT_TRUE(d.end_of_stream) << "the last page is missing";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Audio, EveryFormatAndRate,
    ::testing::Combine(::testing::Values(Format::kWav, Format::kPcm, Format::kMp3, Format::kOpus,
                                         Format::kFlac),
                       ::testing::Values(8000, 16000, 22050, 24000, 44100, 48000)),
    case_name);

// A client that loses the connection after any write() holds a prefix of the body; it must
// decode, up to about where the input had reached. Also: audio leaves early and keeps leaving:
// never more than 200 ms of input (from the start, or since the last growth) without more
// decodable audio in the output.
class Streaming : public ::testing::TestWithParam<std::tuple<Format, int>> {};

TEST_P(Streaming, EveryPrefixDecodesUpToWhereTheInputWas) {
  const auto [format, rate] = GetParam();
  const auto input = sine(rate, kTone, 3.0);
  const Encoded e = encode(format, rate, input, static_cast<std::size_t>(rate / 100));
  double last_seconds = 0, last_growth_at = 0;
  std::size_t last_size = 0;
  bool any_audio = false;
  double longest_wait = 0;
  for (std::size_t k = 0; k < e.sent.size(); ++k) {
    const double fed = static_cast<double>(e.fed[k]) / rate;
    EXPECT_LE(fed - last_growth_at, 0.2) << "no new audio for too long, at " << fed << " s";
    longest_wait = std::max(longest_wait, fed - last_growth_at);
    if (e.sent[k] == last_size) continue;
    last_size = e.sent[k];
    SCOPED_TRACE("prefix of " + std::to_string(e.sent[k]) + " bytes, input " + std::to_string(fed) +
                 " s");
    Decoded d;
    ASSERT_NO_THROW(d = decode(to_string(format), std::string_view(e.bytes).substr(0, e.sent[k])));
    EXPECT_EQ(d.sample_rate, rate);
    if (d.frames() == 0) continue;  // headers only, or a first frame not yet whole
    any_audio = true;
    EXPECT_GE(d.seconds(), last_seconds);
    EXPECT_GE(d.seconds(), fed - 0.2);
    EXPECT_LE(d.seconds(), fed + allowed_excess(format, rate));
    EXPECT_FALSE(d.end_of_stream);
    if (d.seconds() > last_seconds) last_growth_at = fed;
    last_seconds = d.seconds();
  }
  EXPECT_TRUE(any_audio);
  // For the report: the longest stretch of input that left no new decodable audio.
  std::cout << to_string(format) << " at " << rate << " Hz: longest wait " << longest_wait * 1000
            << " ms of input\n";
  EXPECT_GT(e.bytes.size(), last_size) << "finish() wrote nothing";
}

INSTANTIATE_TEST_SUITE_P(Audio, Streaming,
                         ::testing::Combine(::testing::Values(Format::kMp3, Format::kOpus,
                                                              Format::kFlac),
                                            ::testing::Values(8000, 24000, 48000)),
                         case_name);

// A response whose text had nothing to say still gets a body every decoder accepts.
TEST(Encoders, AnEmptyStreamIsAValidStream) {
  for (const Format f : {Format::kWav, Format::kPcm, Format::kFlac}) {
    SCOPED_TRACE(to_string(f));
    const Encoded e = encode(f, 24000, {}, 480);
    Decoded d;
    ASSERT_NO_THROW(d = decode(to_string(f), e.bytes, 24000));
    EXPECT_EQ(d.frames(), 0u);
  }
  for (const int rate : {8000, 16000, 22050, 48000}) {
    SCOPED_TRACE(rate);
    // Opus: one sample of silence (libopusenc cannot end an empty resampled stream).
    Decoded d;
    ASSERT_NO_THROW(d = decode("opus", encode(Format::kOpus, rate, {}, 480).bytes));
    EXPECT_TRUE(d.end_of_stream);
    EXPECT_LE(d.seconds(), 1.0 / rate + 1.0 / 48000);
    // MP3: LAME flushes one or two frames of digital silence.
    ASSERT_NO_THROW(d = decode("mp3", encode(Format::kMp3, rate, {}, 480).bytes));
    EXPECT_LE(d.frames(), 2u * (rate >= 32000 ? 1152 : 576));
  }
}

TEST(Encoders, OpusEndsOnItsLastSampleEvenForAShortInput) {
  // 25 ms: less than two 20 ms frames and far less than a page.
  const auto input = sine(16000, kTone, 0.025);
  const Encoded e = encode(Format::kOpus, 16000, input, input.size());
  const Decoded d = decode("opus", e.bytes);
  EXPECT_TRUE(d.end_of_stream);
  EXPECT_EQ(d.frames(), input.size() * 3);  // 16 kHz -> 48 kHz
}

// A client that disconnects destroys its response's encoder mid-stream: nothing is written
// (there is nowhere to write it) and nothing leaks (the ASan build checks).
TEST(Encoders, DestroyedMidStreamWithoutFinish) {
  const auto pcm = sine(22050, kTone, 0.33);
  for (const Format f : {Format::kWav, Format::kPcm, Format::kMp3, Format::kOpus, Format::kFlac}) {
    SCOPED_TRACE(to_string(f));
    std::string out;
    {
      auto enc = make_encoder(f, 22050);
      enc->write(pcm, out);
    }
    EXPECT_FALSE(out.empty());
    Transcoder t(16000, f, 22050);
    t.write(std::string(3200, '\0'), out);
  }
}

TEST(Encoders, WavHeaderIsStreamedThenExactWhenEmpty) {
  auto enc = make_encoder(Format::kWav, 16000);
  std::string out;
  enc->write({}, out);
  EXPECT_TRUE(out.empty()) << "nothing to say before the first sample";
  const auto pcm = sine(16000, kTone, 0.01);
  enc->write(pcm, out);
  ASSERT_EQ(out.size(), 44 + 2 * pcm.size());
  EXPECT_EQ(out.substr(40, 4), std::string(4, '\xff'));
}

TEST(Encoders, UnsupportedRatesNameSampleRate) {
  const std::vector<std::tuple<Format, int>> bad = {
      {Format::kWav, 7999}, {Format::kPcm, 48001}, {Format::kFlac, 96000},
      {Format::kOpus, 0},   {Format::kMp3, 16001}, {Format::kMp3, 96000},
  };
  for (const auto& [f, rate] : bad) {
    SCOPED_TRACE(std::string(to_string(f)) + " " + std::to_string(rate));
    EXPECT_FALSE(unsupported_rate(f, rate).empty());
    try {
      make_encoder(f, rate);
      ADD_FAILURE() << "accepted";
    } catch (const Error& err) {
      EXPECT_EQ(err.code(), ErrorCode::kBadParameter);
      EXPECT_EQ(err.param(), "sample_rate");
      EXPECT_NE(std::string(err.what()).find("8000"), std::string::npos) << err.what();
    }
  }
  EXPECT_TRUE(unsupported_rate(Format::kOpus, 11025).empty());
  EXPECT_TRUE(unsupported_rate(Format::kMp3, 11025).empty());
}

TEST(Formats, NamesAndContentTypes) {
  for (const Format f : {Format::kWav, Format::kPcm, Format::kMp3, Format::kOpus, Format::kFlac})
    EXPECT_EQ(parse_format(to_string(f)), f);
  EXPECT_EQ(parse_format("MP3"), std::nullopt);
  EXPECT_EQ(parse_format("aac"), std::nullopt);
  EXPECT_STREQ(content_type(Format::kMp3), "audio/mpeg");
  EXPECT_STREQ(content_type(Format::kOpus), "audio/ogg");
  EXPECT_STREQ(content_type(Format::kFlac), "audio/flac");
  EXPECT_STREQ(content_type(Format::kWav), "audio/wav");
}

// Resampling in 10 ms pieces: the length scales by the ratio, the tone stays where it was.
class Resampling : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(Resampling, KeepsLengthRatioAndFrequency) {
  const auto [in_rate, out_rate] = GetParam();
  const auto input = sine(in_rate, 1000.0, 1.0);
  Resampler r(in_rate, out_rate);
  std::vector<std::int16_t> out;
  const auto step = static_cast<std::size_t>(in_rate / 100);
  for (std::size_t at = 0; at < input.size(); at += step)
    r.process(std::span(input).subspan(at, std::min(step, input.size() - at)), out);
  EXPECT_GT(out.size(), 0u) << "nothing before flush";
  r.flush(out);
  const double expected = static_cast<double>(input.size()) * out_rate / in_rate;
  EXPECT_NEAR(static_cast<double>(out.size()), expected, 1.0);
  EXPECT_NEAR(dominant_frequency(out, out_rate), 1000.0, 5.0);
}

INSTANTIATE_TEST_SUITE_P(Audio, Resampling,
                         ::testing::Values(std::tuple{16000, 24000}, std::tuple{22050, 48000},
                                           std::tuple{48000, 8000}, std::tuple{24000, 22050}));

TEST(Gain, ScalesAndSaturates) {
  std::vector<std::int16_t> pcm = {1000, -1000, 20000, -20000, 0};
  apply_gain(pcm, 2.0);
  EXPECT_EQ(pcm, (std::vector<std::int16_t>{2000, -2000, 32767, -32768, 0}));
  apply_gain(pcm, 0.5);
  EXPECT_EQ(pcm, (std::vector<std::int16_t>{1000, -1000, 16384, -16384, 0}));
}

TEST(Transcoder, ResamplesAndEncodesS16leBytes) {
  const auto input = sine(22050, kTone, 1.0);
  const std::string bytes = s16le(input);
  Transcoder t(22050, Format::kFlac, 16000);
  EXPECT_EQ(t.out_rate(), 16000);
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += 882)
    t.write(std::string_view(bytes).substr(at, 882), out);
  t.finish(out);
  const Decoded d = decode("flac", out);
  EXPECT_EQ(d.sample_rate, 16000);
  EXPECT_NEAR(static_cast<double>(d.frames()), 16000.0, 1.0);
  EXPECT_NEAR(dominant_frequency(d.pcm, 16000), kTone, 5.0);
  EXPECT_THROW(t.write("abc", out), Error);
}

TEST(Transcoder, SameRatePassesSamplesThrough) {
  const auto input = sine(24000, kTone, 0.5);
  Transcoder t(24000, Format::kWav, 24000);
  std::string out;
  t.write(s16le(input), out);
  t.finish(out);
  EXPECT_EQ(decode("wav", out).pcm, input);
}

// AudioBody takes PCM straight into the response buffer and encodes it there: the same bytes
// as write() for every kind of transcoder (passing through, resampling, encoding), with
// whatever was in the buffer before left alone.
TEST(Transcoder, EncodingInPlaceEqualsWrite) {
  const std::string bytes = s16le(sine(22050, kTone, 0.7));
  for (const auto& [format, rate] : {std::pair{Format::kWav, 22050}, std::pair{Format::kPcm, 22050},
                                     std::pair{Format::kWav, 16000}, std::pair{Format::kMp3, 22050},
                                     std::pair{Format::kFlac, 22050}}) {
    SCOPED_TRACE(std::string(to_string(format)) + " " + std::to_string(rate));
    Transcoder by_write(22050, format, rate);
    Transcoder in_place(22050, format, rate);
    std::string a, b = "prefix";
    for (std::size_t at = 0; at < bytes.size(); at += 4410) {
      const std::string_view piece = std::string_view(bytes).substr(at, 4410);
      by_write.write(piece, a);
      const std::size_t from = b.size();
      b.append(piece);
      in_place.encode_appended(b, from);
    }
    by_write.finish(a);
    in_place.finish(b);
    EXPECT_EQ("prefix" + a, b);
  }
  Transcoder empty(22050, Format::kWav, 22050);
  std::string out;
  empty.encode_appended(out, 0);
  empty.finish(out);
  EXPECT_EQ(out, wav_header(22050, 0));
}

}  // namespace
}  // namespace lector::audio
