// The worker frame protocol (worker/protocol.h) as the server reads it from a worker that may
// be broken: bytes in random splits through FrameBuffer, every frame through its decoder. A
// malformed frame must be a lector::Error (the server then kills the worker), never a crash or
// another exception; what decodes must encode back to a frame that decodes the same.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "core/error.h"
#include "worker/protocol.h"

namespace {

namespace w = lector::worker;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "worker protocol invariant broken: %s\n", what);
  std::abort();
}

// The payload of the single frame in `bytes`.
std::string_view only_payload(const std::string& bytes, w::FrameBuffer& buffer) {
  auto space = buffer.prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
  const auto frame = buffer.next();
  if (!frame) fail("an encoded frame does not decode whole");
  return frame->payload;
}

void round_trip(const w::FrameView& f) {
  std::string again;
  w::FrameBuffer buffer;
  switch (f.type) {
    case w::FrameType::kHello: {
      const w::Hello h = w::decode_hello(f.payload);
      w::encode(h, again);
      const w::Hello back = w::decode_hello(only_payload(again, buffer));
      if (back.engine != h.engine || back.sample_rate != h.sample_rate ||
          back.voices.size() != h.voices.size() || back.variants != h.variants ||
          !(back.caps == h.caps))
        fail("Hello round trip");
      break;
    }
    case w::FrameType::kSynthesize: {
      const w::SynthesizeJob j = w::decode_synthesize(f.payload);
      w::encode(j, again);
      const w::SynthesizeJob back = w::decode_synthesize(only_payload(again, buffer));
      if (back.job_id != j.job_id || back.voice != j.voice || back.text != j.text)
        fail("Synthesize round trip");
      break;
    }
    case w::FrameType::kCancel:
      w::encode(w::decode_cancel(f.payload), again);
      break;
    case w::FrameType::kAudio: {
      std::string_view pcm;
      const std::uint64_t job = w::decode_audio(f.payload, pcm);
      if (pcm.size() % 2 != 0) fail("odd PCM accepted");
      w::encode_audio_header(job, pcm.size(), again);
      again.append(pcm);
      std::string_view pcm_back;
      if (w::decode_audio(only_payload(again, buffer), pcm_back) != job || pcm_back != pcm)
        fail("Audio round trip");
      break;
    }
    case w::FrameType::kMark: {
      const w::WordMark m = w::decode_mark(f.payload);
      w::encode(m, again);
      if (!(w::decode_mark(only_payload(again, buffer)) == m)) fail("Mark round trip");
      break;
    }
    case w::FrameType::kDone: {
      const w::Done d = w::decode_done(f.payload);
      w::encode(d, again);
      const w::Done back = w::decode_done(only_payload(again, buffer));
      if (back.job_id != d.job_id || back.cancelled != d.cancelled) fail("Done round trip");
      break;
    }
    case w::FrameType::kError: {
      const w::ErrorFrame e = w::decode_error(f.payload);
      w::encode(e, again);
      const w::ErrorFrame back = w::decode_error(only_payload(again, buffer));
      if (back.job_id != e.job_id || back.message != e.message) fail("Error round trip");
      break;
    }
    default:
      fail("FrameBuffer returned an unknown frame type");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::minstd_rand split(in.ConsumeIntegral<std::uint32_t>());
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  w::FrameBuffer buffer;
  try {
    for (std::size_t pos = 0; pos < bytes.size();) {
      const std::size_t n = std::min<std::size_t>(1 + split() % 64, bytes.size() - pos);
      auto space = buffer.prepare(1 + split() % 128);
      const std::size_t take = std::min(n, space.size());
      std::memcpy(space.data(), bytes.data() + pos, take);
      buffer.commit(take);
      pos += take;
      while (auto frame = buffer.next()) round_trip(*frame);
    }
  } catch (const lector::Error&) {
    // A protocol violation: the server kills that worker.
  }
  return 0;
}
