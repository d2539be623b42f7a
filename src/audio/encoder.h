#pragma once
// Streaming encoders: PCM (s16 mono) in, bytes of a container format out, as they are
// encoded. One encoder per response; not thread-safe (one strand uses it).

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "audio/format.h"

namespace lector::audio {

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Encodes `pcm` (mono, at the rate the encoder was made for) and appends every byte that is
  // ready to `out` (the codec may hold some back until it has a whole frame).
  virtual void write(std::span<const std::int16_t> pcm, std::string& out) = 0;
  // Ends the stream: appends everything still held (MP3's last frames, Opus's last Ogg page
  // with end-of-stream set, FLAC's last frame). Call once; write() must not follow.
  virtual void finish(std::string& out) = 0;
};

// An encoder for `format` at `sample_rate` Hz. The WAV encoder writes a streamed header
// (sizes 0xFFFFFFFF, see wav.h) before the first samples, or an exact empty WAV when finish()
// comes first. Throws lector::Error(kBadParameter, param "sample_rate") when the format cannot
// carry the rate (unsupported_rate), lector::Error(kInternal) when the codec library fails.
std::unique_ptr<Encoder> make_encoder(Format format, int sample_rate);

}  // namespace lector::audio
