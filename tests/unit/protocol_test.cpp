#include "worker/protocol.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"

namespace lector::worker {
namespace {

// Feeds `bytes` into a FrameBuffer in pieces of `step`, collecting the frames it yields.
std::vector<std::pair<FrameType, std::string>> split(const std::string& bytes, std::size_t step) {
  FrameBuffer buf;
  std::vector<std::pair<FrameType, std::string>> frames;
  for (std::size_t off = 0; off < bytes.size(); off += step) {
    const std::size_t n = std::min(step, bytes.size() - off);
    auto space = buf.prepare(n);
    std::memcpy(space.data(), bytes.data() + off, n);
    buf.commit(n);
    while (auto f = buf.next()) frames.emplace_back(f->type, std::string(f->payload));
  }
  return frames;
}

TEST(Protocol, RoundTripsEveryFrameThroughAByteAtATimeBuffer) {
  std::string wire;
  Hello hello{"espeak",
              22050,
              {{"en-us", "English (America)", "en-US", Gender::kMale, "gmw/en-US", 22050},
               {"de", "German", "de", Gender::kUnknown, "gmw/de", 8000}},
              {"f3", "klatt"},
              {.word_timings = true, .default_workers = 3, .memory_mb_per_worker = 150},
              {}};
  encode(hello, wire);
  encode(SynthesizeJob{42, "en-us", {1.5, 0.75, 2.0}, "Grüße, world."}, wire);
  encode(Cancel{42}, wire);
  const std::int16_t pcm[3] = {1, -2, 32767};
  encode_audio_header(42, sizeof pcm, wire);
  wire.append(reinterpret_cast<const char*>(pcm), sizeof pcm);
  encode(Done{42, true}, wire);
  encode(ErrorFrame{43, "boom"}, wire);
  encode(WordMark{42, 7, 5, 123456789012ull}, wire);

  for (std::size_t step : {std::size_t{1}, std::size_t{7}, wire.size()}) {
    auto frames = split(wire, step);
    ASSERT_EQ(frames.size(), 7u) << "step " << step;

    ASSERT_EQ(frames[0].first, FrameType::kHello);
    Hello h = decode_hello(frames[0].second);
    EXPECT_EQ(h.engine, "espeak");
    EXPECT_EQ(h.sample_rate, 22050);
    ASSERT_EQ(h.voices.size(), 2u);
    EXPECT_EQ(h.voices[0].display_name, "English (America)");
    EXPECT_EQ(h.voices[0].gender, Gender::kMale);
    EXPECT_EQ(h.voices[1].engine_id, "gmw/de");
    EXPECT_EQ(h.variants, (std::vector<std::string>{"f3", "klatt"}));
    EXPECT_EQ(h.voices[0].sample_rate, 22050);
    EXPECT_EQ(h.voices[1].sample_rate, 8000);
    EXPECT_EQ(
        h.caps,
        (Capabilities{.word_timings = true, .default_workers = 3, .memory_mb_per_worker = 150}));

    SynthesizeJob j = decode_synthesize(frames[1].second);
    EXPECT_EQ(j.job_id, 42u);
    EXPECT_EQ(j.text, "Grüße, world.");
    EXPECT_EQ(j.params, (SynthParams{1.5, 0.75, 2.0}));

    EXPECT_EQ(decode_cancel(frames[2].second).job_id, 42u);

    std::string_view audio;
    EXPECT_EQ(decode_audio(frames[3].second, audio), 42u);
    ASSERT_EQ(audio.size(), sizeof pcm);
    EXPECT_EQ(std::memcmp(audio.data(), pcm, sizeof pcm), 0);

    Done d = decode_done(frames[4].second);
    EXPECT_TRUE(d.cancelled);
    EXPECT_EQ(decode_error(frames[5].second).message, "boom");
    ASSERT_EQ(frames[6].first, FrameType::kMark);
    EXPECT_EQ(decode_mark(frames[6].second), (WordMark{42, 7, 5, 123456789012ull}));
  }
}

TEST(Protocol, RejectsOversizeAndUnknownFrames) {
  FrameBuffer buf;
  const unsigned char huge[5] = {0xff, 0xff, 0xff, 0x7f, 4};
  auto space = buf.prepare(5);
  std::memcpy(space.data(), huge, 5);
  buf.commit(5);
  EXPECT_THROW(buf.next(), Error);

  FrameBuffer unknown;
  const unsigned char bad[5] = {1, 0, 0, 0, 99};
  space = unknown.prepare(5);
  std::memcpy(space.data(), bad, 5);
  unknown.commit(5);
  EXPECT_THROW(unknown.next(), Error);
}

TEST(Protocol, RejectsTruncatedPayloads) {
  std::string wire;
  encode(SynthesizeJob{1, "en-us", {}, "hello"}, wire);
  auto frames = split(wire, wire.size());
  ASSERT_EQ(frames.size(), 1u);
  std::string payload = frames[0].second;
  payload.pop_back();
  EXPECT_THROW(decode_synthesize(payload), Error);
  EXPECT_THROW(decode_done(std::string_view("\x01", 1)), Error);
}

TEST(Protocol, HelloCarriesCapabilitiesAndRejectsEveryTruncation) {
  const Capabilities parallel{.word_timings = true, .memory_mb_per_worker = 80, .parallel_jobs = 4};
  for (const auto& [caps, unavailable] :
       {std::pair{Capabilities{}, std::string()},
        std::pair{Capabilities{false, 1, 95}, std::string()},
        std::pair{Capabilities{true, 0, 7}, std::string()},
        std::pair{parallel, std::string("no ONNX Runtime: libonnxruntime.so.1 not found")}}) {
    std::string wire;
    encode(Hello{"festival",
                 16000,
                 {{"kal", "Kal", "en-US", Gender::kMale, "kal", 0}},
                 {},
                 caps,
                 unavailable},
           wire);
    auto frames = split(wire, wire.size());
    ASSERT_EQ(frames.size(), 1u);
    const std::string payload = frames[0].second;
    const Hello decoded = decode_hello(payload);
    EXPECT_EQ(decoded.caps, caps);
    EXPECT_EQ(decoded.caps.parallel_jobs, caps.parallel_jobs);
    EXPECT_EQ(decoded.unavailable, unavailable);
    EXPECT_EQ(decoded.voices.size(), 1u);
    // A worker of an older build (no capabilities, no parallel jobs) or a cut frame is
    // malformed, never read as defaults.
    for (std::size_t n = 0; n < payload.size(); ++n)
      EXPECT_THROW(decode_hello(std::string_view(payload).substr(0, n)), Error) << n;
    EXPECT_THROW(decode_hello(payload + '\0'), Error);
    // The capability flags have two bits: any other byte is malformed. After them: workers,
    // memory, parallel jobs (u32 each), then the reason (u32 length + bytes).
    const std::size_t tail = 16 + unavailable.size();
    std::string bad = payload;
    bad[bad.size() - tail - 1] = 4;
    EXPECT_THROW(decode_hello(bad), Error);
    // Zero parallel jobs, or absurdly many, is malformed too.
    std::string zero = payload;
    zero[zero.size() - tail + 8] = 0;
    EXPECT_THROW(decode_hello(zero), Error);
    std::string many = payload;
    many[many.size() - tail + 10] = 1;  // 65536 + jobs
    EXPECT_THROW(decode_hello(many), Error);
  }
}

}  // namespace
}  // namespace lector::worker
