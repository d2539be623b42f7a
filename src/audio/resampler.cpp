#include "audio/resampler.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace lector::audio {

// Quality SOXR_16_BITQ: 16-bit precision (the output is s16: HQ's 20 bits would be rounded
// away), a passband flat to 0.01 dB up to ~91 % of the lower Nyquist frequency (MQ and LQ roll
// off earlier: cheaper, but they trade away passband flatness). Linear phase:
// soxr's other phase responses did not lower what it holds back in 10 ms writes (measured:
// 22 ms at 22050 -> 24000, 34 ms at 16000 -> 24000, the same for intermediate phase; only
// minimum phase halves it), which is small next to the encoders' frames and pages anyway.
// No dither: the same input gives the same bytes (cache, tests). One thread: the server's
// threads are its own to schedule.
struct Resampler::Impl {
  soxr_t soxr = nullptr;
  double ratio = 1.0;
  ~Impl() {
    if (soxr) soxr_delete(soxr);
  }

  void run(const std::int16_t* in, std::size_t in_len, std::vector<std::int16_t>& out) {
    // Until soxr has taken all of `in` and leaves room unused in `out`: the room is a guess
    // (ratio plus some of what it held), so a call may fill it and have more.
    const std::size_t room =
        static_cast<std::size_t>(std::ceil(static_cast<double>(in_len) * ratio)) + 1024;
    std::size_t consumed_total = 0;
    for (;;) {
      const std::size_t base = out.size();
      out.resize(base + room);
      std::size_t used = 0;
      std::size_t done = 0;
      const std::int16_t* src = in ? in + consumed_total : nullptr;
      const std::size_t left = in ? in_len - consumed_total : 0;
      soxr_error_t err = soxr_process(soxr, src, left, &used, out.data() + base, room, &done);
      out.resize(base + done);
      if (err) throw Error(ErrorCode::kInternal, std::string("resampler: ") + err);
      consumed_total += used;
      const bool input_left = in && consumed_total < in_len;
      if (!input_left && done < room) break;
    }
  }
};

Resampler::Resampler(int in_rate, int out_rate) : impl_(std::make_unique<Impl>()) {
  if (in_rate <= 0 || out_rate <= 0)
    throw Error(ErrorCode::kInternal, "resampler: rates must be positive");
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  io.flags |= SOXR_NO_DITHER;
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_16_BITQ, SOXR_LINEAR_PHASE);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t err = nullptr;
  impl_->soxr = soxr_create(in_rate, out_rate, 1, &err, &io, &quality, &runtime);
  if (err || !impl_->soxr)
    throw Error(ErrorCode::kInternal, std::string("resampler: ") + (err ? err : "soxr_create"));
  impl_->ratio = static_cast<double>(out_rate) / in_rate;
}

Resampler::~Resampler() = default;

void Resampler::process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out) {
  if (in.empty()) return;
  impl_->run(in.data(), in.size(), out);
}

void Resampler::flush(std::vector<std::int16_t>& out) {
  impl_->run(nullptr, 0, out);
}

void apply_gain(std::span<std::int16_t> pcm, double gain) noexcept {
  if (gain == 1.0) return;
  constexpr double kLo = std::numeric_limits<std::int16_t>::min();
  constexpr double kHi = std::numeric_limits<std::int16_t>::max();
  for (std::int16_t& s : pcm)
    s = static_cast<std::int16_t>(std::clamp(std::nearbyint(s * gain), kLo, kHi));
}

}  // namespace lector::audio
