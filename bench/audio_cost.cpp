// CPU cost of the audio pipeline per second of audio: every encoder at the common rates, the
// resampler on the conversions the server makes most. Prints one JSON line per case.
//
//   audio_cost [SPEECH.wav]
//
// SPEECH.wav (16-bit mono, e.g. `espeak-ng -w speech.wav -f text`) is the input; without it, a
// synthetic voice-like signal (a gliding harmonic tone with noise). The input is resampled to
// each rate first (not timed), then encoded in 20 ms writes as a response is. CPU time is the
// process's (CLOCK_PROCESS_CPUTIME_ID), best of 3 runs.
#include <time.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "audio/encoder.h"
#include "audio/resampler.h"

namespace {

using lector::audio::Format;

struct Audio {
  int rate = 0;
  std::vector<std::int16_t> pcm;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Audio synthetic(int rate, double seconds) {
  Audio a{rate, {}};
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 600);
  double phase = 0;
  const auto n = static_cast<std::size_t>(seconds * rate);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 120 + 40 * std::sin(2 * std::numbers::pi * 0.7 * t);  // a gliding pitch
    phase += 2 * std::numbers::pi * f0 / rate;
    double v = 0;
    for (int h = 1; h <= 12; ++h) v += std::sin(h * phase) / h;
    a.pcm.push_back(static_cast<std::int16_t>(std::lround(4000 * v + noise(rng))));
  }
  return a;
}

// A plain 44-byte-header WAV, s16 mono (what espeak-ng -w writes).
Audio read_wav(const char* path) {
  std::ifstream f(path, std::ios::binary);
  const std::string b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto u32 = [&b](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
    return v;
  };
  if (b.size() < 44 || b.compare(0, 4, "RIFF") != 0) return {};
  Audio a{static_cast<int>(u32(24)), {}};
  for (std::size_t i = 44; i + 1 < b.size(); i += 2)
    a.pcm.push_back(static_cast<std::int16_t>(static_cast<unsigned char>(b[i]) |
                                              static_cast<unsigned char>(b[i + 1]) << 8));
  return a;
}

Audio resampled(const Audio& a, int rate) {
  if (a.rate == rate) return a;
  lector::audio::Resampler r(a.rate, rate);
  Audio out{rate, {}};
  r.process(a.pcm, out.pcm);
  r.flush(out.pcm);
  return out;
}

template <class F>
double best_cpu(F&& run) {
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    const double t0 = cpu_seconds();
    run();
    best = std::min(best, cpu_seconds() - t0);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const Audio source = argc > 1 ? read_wav(argv[1]) : synthetic(24000, 30.0);
  if (source.pcm.empty()) {
    std::fprintf(stderr, "audio_cost: cannot read %s as a 16-bit mono WAV\n", argv[1]);
    return 2;
  }
  const double seconds = static_cast<double>(source.pcm.size()) / source.rate;
  std::printf("{\"input\":\"%s\",\"seconds\":%.2f,\"rate\":%d}\n", argc > 1 ? argv[1] : "synthetic",
              seconds, source.rate);
  for (const int rate : {16000, 24000, 48000}) {
    const Audio a = resampled(source, rate);
    const std::size_t step = static_cast<std::size_t>(rate / 50);
    for (const Format f :
         {Format::kPcm, Format::kWav, Format::kMp3, Format::kOpus, Format::kFlac}) {
      std::size_t bytes = 0;
      const double cpu = best_cpu([&] {
        auto enc = lector::audio::make_encoder(f, rate);
        std::string out;
        for (std::size_t at = 0; at < a.pcm.size(); at += step)
          enc->write(std::span(a.pcm).subspan(at, std::min(step, a.pcm.size() - at)), out);
        enc->finish(out);
        bytes = out.size();
      });
      std::printf(
          "{\"encoder\":\"%s\",\"rate\":%d,\"cpu_ms_per_audio_s\":%.3f,\"kbit_per_s\":%.1f}\n",
          lector::audio::to_string(f), rate, 1000 * cpu / seconds, 8.0 * bytes / seconds / 1000);
    }
  }
  for (const auto& [from, to] : {std::pair{22050, 24000}, std::pair{22050, 48000},
                                 std::pair{16000, 24000}, std::pair{48000, 8000}}) {
    const Audio a = resampled(source, from);
    const double cpu = best_cpu([&] {
      lector::audio::Resampler r(from, to);
      std::vector<std::int16_t> out;
      const std::size_t step = static_cast<std::size_t>(from / 50);
      for (std::size_t at = 0; at < a.pcm.size(); at += step) {
        out.clear();
        r.process(std::span(a.pcm).subspan(at, std::min(step, a.pcm.size() - at)), out);
      }
      r.flush(out);
    });
    std::printf("{\"resampler\":\"%d->%d\",\"cpu_ms_per_audio_s\":%.3f}\n", from, to,
                1000 * cpu / seconds);
  }
  return 0;
}
