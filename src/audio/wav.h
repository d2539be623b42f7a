#pragma once
// WAV (RIFF) headers for PCM s16 mono. Pure functions.

#include <cstdint>
#include <string>

namespace lector::audio {

inline constexpr std::size_t kWavHeaderBytes = 44;

// A 44-byte header. With `data_bytes` unknown (streaming), the RIFF and data sizes are
// 0xFFFFFFFF, which browsers and most decoders read as "until the end of the stream".
std::string wav_header(int sample_rate, std::uint32_t data_bytes = 0xFFFFFFFFu);

}  // namespace lector::audio
