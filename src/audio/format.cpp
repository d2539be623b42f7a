#include "audio/format.h"

#include <algorithm>
#include <array>

namespace lector::audio {
namespace {

struct Row {
  Format format;
  std::string_view name;
  const char* content_type;
};

// Ogg Opus is served as audio/ogg (RFC 7845), the type browsers play; "audio/opus" names the
// bare RTP payload.
constexpr std::array kFormats = {
    Row{Format::kWav, "wav", "audio/wav"},    Row{Format::kPcm, "pcm", "audio/pcm"},
    Row{Format::kMp3, "mp3", "audio/mpeg"},   Row{Format::kOpus, "opus", "audio/ogg"},
    Row{Format::kFlac, "flac", "audio/flac"},
};

const Row& row(Format format) noexcept {
  for (const Row& r : kFormats)
    if (r.format == format) return r;
  return kFormats.front();
}

// The sampling frequencies of MPEG-1, MPEG-2 and MPEG-2.5 layer III.
constexpr std::array kMpegRates = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (const Row& r : kFormats)
    if (r.name == name) return r.format;
  return std::nullopt;
}

const char* to_string(Format format) noexcept {
  return row(format).name.data();
}

const char* content_type(Format format) noexcept {
  return row(format).content_type;
}

std::string_view unsupported_rate(Format format, int rate) noexcept {
  if (format == Format::kMp3) {
    if (std::find(kMpegRates.begin(), kMpegRates.end(), rate) != kMpegRates.end()) return {};
    return "must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 (Hz) for "
           "mp3";
  }
  if (rate >= kMinSampleRate && rate <= kMaxSampleRate) return {};
  return "must be from 8000 to 48000 (Hz)";
}

}  // namespace lector::audio
