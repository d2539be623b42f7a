#include "engine/tone_engine.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <thread>

#include "core/error.h"

namespace lector::engine {
namespace {

constexpr double kWordSeconds = 0.1;
constexpr double kFrequencyHz = 250.0;
constexpr double kAmplitude = 0.5 * 32767.0;
constexpr int kChunkMs = 20;
constexpr long kMaxDirectiveMs = 600'000;
// While waiting out a [delay], the sink is asked this often whether the job was cancelled.
constexpr std::chrono::milliseconds kPollInterval{5};

enum class DirectiveKind { kDelay, kSilence, kCrash, kHang, kFail };

struct Directive {
  DirectiveKind kind;
  long ms = 0;
  std::size_t bytes = 0;  // length of the directive in the text
};

// The directive starting at text[0] (a '['), if it is one.
std::optional<Directive> parse_directive(std::string_view text) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view body = text.substr(1, close - 1);
  const std::size_t bytes = close + 1;
  if (body == "crash") return Directive{DirectiveKind::kCrash, 0, bytes};
  if (body == "hang") return Directive{DirectiveKind::kHang, 0, bytes};
  if (body == "fail") return Directive{DirectiveKind::kFail, 0, bytes};
  for (const auto& [prefix, kind] :
       {std::pair{std::string_view("delay:"), DirectiveKind::kDelay},
        std::pair{std::string_view("silence:"), DirectiveKind::kSilence}}) {
    if (body.substr(0, prefix.size()) != prefix) continue;
    const std::string_view digits = body.substr(prefix.size());
    long ms = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || ms < 0 ||
        ms > kMaxDirectiveMs)
      return std::nullopt;
    return Directive{kind, ms, bytes};
  }
  return std::nullopt;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Produces one synthesis' audio in chunks and keeps the counts word marks need.
class Generator {
 public:
  Generator(AudioSink& sink, int rate, double volume)
      : sink_(sink),
        rate_(rate),
        amplitude_(kAmplitude * volume),
        chunk_(static_cast<std::size_t>(rate * kChunkMs / 1000)) {}

  // `samples` of tone (or of zeros). False when the sink stopped the synthesis.
  bool produce(std::size_t samples, bool tone) {
    while (samples > 0) {
      const std::size_t n = std::min(samples, chunk_);
      buffer_.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        double v = 0.0;
        if (tone) {
          const double t = static_cast<double>(tone_samples_++) / rate_;
          v = std::round(amplitude_ * std::sin(2.0 * M_PI * kFrequencyHz * t));
        }
        buffer_[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
      }
      produced_ += n;
      samples -= n;
      if (!sink_.on_audio(buffer_)) return false;
    }
    return true;
  }

  bool wait(std::chrono::milliseconds ms) {
    const auto until = std::chrono::steady_clock::now() + ms;
    if (!sink_.keep_going()) return false;
    for (auto now = std::chrono::steady_clock::now(); now < until;
         now = std::chrono::steady_clock::now()) {
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(until - now, kPollInterval));
      if (!sink_.keep_going()) return false;
    }
    return true;
  }

  std::size_t samples_for_ms(double ms) const {
    return static_cast<std::size_t>(std::llround(ms * rate_ / 1000.0));
  }
  std::uint64_t produced() const { return produced_; }

 private:
  AudioSink& sink_;
  int rate_;
  double amplitude_;
  std::size_t chunk_;
  std::uint64_t tone_samples_ = 0;  // the sine's phase runs on across words
  std::uint64_t produced_ = 0;
  std::vector<std::int16_t> buffer_;
};

constexpr long kMaxParallelJobs = 64;

}  // namespace

ToneEngine::ToneEngine() {
  if (const char* jobs = std::getenv("LECTOR_TONE_JOBS")) {
    const std::string_view s(jobs);
    long n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && n >= 1 && n <= kMaxParallelJobs)
      parallel_jobs_ = static_cast<int>(n);
  }
  if (const char* reason = std::getenv("LECTOR_TONE_UNAVAILABLE")) unavailable_ = reason;
}

std::vector<VoiceInfo> ToneEngine::voices() const {
  return {
      {"tone", "Test tone, 16 kHz", "zxx", Gender::kUnknown, "tone", 16000},
      {"tone8", "Test tone, 8 kHz", "zxx", Gender::kUnknown, "tone8", 8000},
  };
}

bool ToneEngine::synthesize(const std::string& voice, const SynthParams& params,
                            std::string_view text, AudioSink& sink) {
  int rate = 0;
  for (const VoiceInfo& v : voices())
    if (v.name == voice) rate = v.sample_rate;
  if (rate == 0)
    throw Error(ErrorCode::kBadParameter, "unknown tone voice '" + voice + "'", "voice");
  const double speed = params.speed > 0.0 ? params.speed : 1.0;
  Generator gen(sink, rate, params.volume);
  const std::size_t word_samples = gen.samples_for_ms(kWordSeconds * 1000.0 / speed);

  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  std::size_t code_points = 0;  // of text[0, i)
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      ++code_points;
      continue;
    }
    if (text[i] == '[') {
      if (const auto d = parse_directive(text.substr(i))) {
        switch (d->kind) {
          case DirectiveKind::kDelay:
            if (!gen.wait(std::chrono::milliseconds(d->ms))) return false;
            break;
          case DirectiveKind::kSilence:
            if (!gen.produce(gen.samples_for_ms(static_cast<double>(d->ms)), false)) return false;
            break;
          case DirectiveKind::kCrash:
            std::abort();
          case DirectiveKind::kHang:
            (void)sink.keep_going();  // deliver what was produced; the answer is ignored
            for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
          case DirectiveKind::kFail:
            throw Error(ErrorCode::kEngineFailed, "tone: [fail] in the text");
        }
        i += d->bytes;
        code_points += d->bytes;  // directives are ASCII
        continue;
      }
    }
    // A token: up to the next space or directive. It is a word if it has a letter or digit.
    const std::size_t start = i;
    const std::size_t start_cp = code_points;
    bool has_word_char = false;
    while (i < text.size() && !is_space(text[i]) &&
           !(text[i] == '[' && i > start && parse_directive(text.substr(i)))) {
      UChar32 c;
      U8_NEXT(bytes, i, text.size(), c);
      has_word_char = has_word_char || (c >= 0 && u_isalnum(c));
      ++code_points;
    }
    if (!has_word_char) continue;
    sink.on_word(start_cp, code_points - start_cp, gen.produced());
    if (!gen.produce(word_samples, true)) return false;
  }
  return true;
}

}  // namespace lector::engine
