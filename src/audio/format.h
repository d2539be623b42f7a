#pragma once
// Output audio formats and the sample rates each can carry. Pure functions.

#include <optional>
#include <string_view>

namespace lector::audio {

enum class Format { kWav, kPcm, kMp3, kOpus, kFlac };

inline constexpr int kMinSampleRate = 8000;
inline constexpr int kMaxSampleRate = 48000;

// "wav", "pcm", "mp3", "opus", "flac" (lower case, exact); nullopt otherwise.
std::optional<Format> parse_format(std::string_view name);
const char* to_string(Format format) noexcept;
// The Content-Type of a response in this format ("audio/wav", "audio/mpeg", ...).
const char* content_type(Format format) noexcept;

// Whether `format` can carry audio at `rate` Hz (every rate in [kMinSampleRate,
// kMaxSampleRate] for wav, pcm, flac and opus; MP3 only the MPEG rates 8000, 11025, 12000,
// 16000, 22050, 24000, 32000, 44100 and 48000). The text lists the rates it accepts, for an
// error message; empty when `rate` is fine.
std::string_view unsupported_rate(Format format, int rate) noexcept;

}  // namespace lector::audio
