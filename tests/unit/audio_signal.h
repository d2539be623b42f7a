#pragma once
// Known test signals and the measurement the audio tests make on what comes back: the
// frequency that carries the most energy.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace lector::testing {

// `seconds` of a sine at `hz`, amplitude `amp` (of full scale), mono s16 at `rate`.
inline std::vector<std::int16_t> sine(int rate, double hz, double seconds, double amp = 0.5) {
  const auto n = static_cast<std::size_t>(std::lround(seconds * rate));
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(std::lround(
        amp * 32767.0 * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate)));
  return out;
}

// Goertzel power of `x` at `hz`.
inline double power_at(std::span<const std::int16_t> x, int rate, double hz) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * hz / rate);
  double s1 = 0, s2 = 0;
  for (const std::int16_t v : x) {
    const double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

// The strongest frequency, on a 5 Hz grid from 50 Hz to 4 kHz (or Nyquist), measured over the
// middle half of `x` (away from codec start-up and padding).
inline double dominant_frequency(std::span<const std::int16_t> x, int rate) {
  const auto mid = x.subspan(x.size() / 4, x.size() / 2);
  double best_hz = 0, best = -1;
  for (double hz = 50; hz < std::min(4000.0, rate / 2.0); hz += 5) {
    const double p = power_at(mid, rate, hz);
    if (p > best) best = p, best_hz = hz;
  }
  return best_hz;
}

}  // namespace lector::testing
