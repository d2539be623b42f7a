#pragma once
// The frame protocol between the server and a worker process, over a socketpair.
//
// A frame is: u32 payload length (little-endian, counting the type byte), u8 frame type,
// payload. Integers are little-endian; strings are u32 length + bytes; PCM is s16le.
// Pure encode/decode functions: no I/O, callable from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"
#include "engine/capabilities.h"  // a plain struct, header only: no engine code is linked

namespace lector::worker {

enum class FrameType : std::uint8_t {
  kHello = 1,       // worker -> server, once after start: engine, sample rate, voices, caps
  kSynthesize = 2,  // server -> worker: one job (up to caps.parallel_jobs run at once)
  kCancel = 3,      // server -> worker: stop the job with this id at its next audio chunk
  kAudio = 4,       // worker -> server: PCM of the running job
  kMark = 5,        // worker -> server: a word's position in the running job's audio
  kDone = 6,        // worker -> server: job finished (or was cancelled)
  kError = 7,       // worker -> server: job failed; the worker stays usable
};

// Frames larger than this are a protocol violation (the peer is killed).
inline constexpr std::size_t kMaxFrameBytes = 16u << 20;
inline constexpr std::size_t kFrameHeaderBytes = 5;
// A Hello announcing more parallel jobs than this is malformed.
inline constexpr int kMaxParallelJobs = 1024;

using Capabilities = engine::Capabilities;

struct Hello {
  std::string engine;
  int sample_rate = 0;
  std::vector<VoiceInfo> voices;
  // Suffixes a voice name accepts as "name+variant" (espeak-ng's voice variants).
  std::vector<std::string> variants;
  Capabilities caps;  // caps.parallel_jobs: the jobs the worker takes at once (its slots)
  // Non-empty when the engine started but cannot serve (Engine::unavailable): why. The worker
  // then has no voices and answers every job with an Error frame.
  std::string unavailable;
};

struct SynthesizeJob {
  std::uint64_t job_id = 0;
  std::string voice;  // VoiceInfo::name
  SynthParams params;
  std::string text;
};

struct Cancel {
  std::uint64_t job_id = 0;
};

struct WordMark {
  std::uint64_t job_id = 0;
  std::uint32_t text_offset = 0;    // code points into the job's text
  std::uint32_t text_length = 0;    // code points
  std::uint64_t sample_offset = 0;  // samples from the start of the job's audio
  bool operator==(const WordMark&) const = default;
};

struct Done {
  std::uint64_t job_id = 0;
  bool cancelled = false;
};

struct ErrorFrame {
  std::uint64_t job_id = 0;
  std::string message;
};

// A decoded frame still in the receive buffer: valid until the buffer is consumed.
struct FrameView {
  FrameType type;
  std::string_view payload;
};

// Appends one complete frame to `out`.
void encode(const Hello& m, std::string& out);
void encode(const SynthesizeJob& m, std::string& out);
void encode(const Cancel& m, std::string& out);
void encode(const WordMark& m, std::string& out);
void encode(const Done& m, std::string& out);
void encode(const ErrorFrame& m, std::string& out);
// Audio is written as header + job id into `out`; the caller sends `pcm` right after it,
// which saves copying the samples (see worker_main.cpp).
void encode_audio_header(std::uint64_t job_id, std::size_t pcm_bytes, std::string& out);

// Decoders throw lector::Error(kInternal) on malformed payloads.
Hello decode_hello(std::string_view payload);
SynthesizeJob decode_synthesize(std::string_view payload);
Cancel decode_cancel(std::string_view payload);
WordMark decode_mark(std::string_view payload);
Done decode_done(std::string_view payload);
ErrorFrame decode_error(std::string_view payload);
// Audio payload: job id and PCM bytes (s16le, even length).
std::uint64_t decode_audio(std::string_view payload, std::string_view& pcm);

// Accumulates bytes read from a socket and splits them into frames.
class FrameBuffer {
 public:
  // Space to read into; call commit(n) after reading n bytes.
  std::span<char> prepare(std::size_t min_bytes = 64 * 1024);
  void commit(std::size_t n) { size_ += n; }
  // The next complete frame, or nullopt when more bytes are needed. Throws on an oversize
  // or unknown frame. The view stays valid until the next call to next() or prepare().
  std::optional<FrameView> next();

 private:
  std::vector<char> data_;
  std::size_t begin_ = 0;  // start of unconsumed bytes
  std::size_t size_ = 0;   // end of received bytes
};

}  // namespace lector::worker
