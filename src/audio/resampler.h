#pragma once
// Streaming sample-rate conversion of s16 mono PCM (libsoxr). Not thread-safe.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace lector::audio {

class Resampler {
 public:
  // Throws lector::Error(kInternal) when libsoxr refuses the rates.
  Resampler(int in_rate, int out_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Appends the converted samples that are ready to `out`.
  void process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out);
  // End of input: appends the samples still held.
  void flush(std::vector<std::int16_t>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Multiplies every sample by `gain`, saturating at the s16 limits.
void apply_gain(std::span<std::int16_t> pcm, double gain) noexcept;

}  // namespace lector::audio
