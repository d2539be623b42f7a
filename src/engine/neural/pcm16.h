#pragma once
// The neural models' float samples as the 16-bit PCM every engine hands its sink, shared by the
// piper and kokoro engines. Header only.
//
// Samples are nominally in [-1, 1]; louder ones (and volume above 1) clip. They are clamped,
// never normalised to the utterance's peak: a segment's level must not depend on the other
// segments, so that streamed chunks and the whole text sound the same.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace lector::engine::neural {

inline void to_pcm16(std::span<const float> samples, double volume,
                     std::vector<std::int16_t>& out) {
  out.resize(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double v = std::clamp(static_cast<double>(samples[i]) * volume, -1.0, 1.0);
    out[i] = static_cast<std::int16_t>(std::lround(v * 32767.0));
  }
}

}  // namespace lector::engine::neural
