#pragma once
// The concrete encoders behind make_encoder (encoder.h), one source file each. Internal to
// audio/: callers use make_encoder, which validates the rate first.

#include <memory>

#include "audio/encoder.h"

namespace lector::audio {

std::unique_ptr<Encoder> make_wav_encoder(int sample_rate);
std::unique_ptr<Encoder> make_pcm_encoder();
std::unique_ptr<Encoder> make_mp3_encoder(int sample_rate);
std::unique_ptr<Encoder> make_opus_encoder(int sample_rate);
std::unique_ptr<Encoder> make_flac_encoder(int sample_rate);

// Appends `pcm` to `out` as s16le bytes (wav and pcm bodies).
void append_s16le(std::span<const std::int16_t> pcm, std::string& out);

}  // namespace lector::audio
