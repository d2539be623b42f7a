#include "audio/encoders.h"
#include "audio/wav.h"

namespace lector::audio {
namespace {

// The header goes out with the first samples, with the "unknown size" marker (wav.h), because
// a streamed body cannot go back to fill in the sizes. A stream that ends before any sample
// gets an exact header for zero bytes instead: a valid, empty WAV.
class WavEncoder final : public Encoder {
 public:
  explicit WavEncoder(int sample_rate) : rate_(sample_rate) {}
  void write(std::span<const std::int16_t> pcm, std::string& out) override {
    if (pcm.empty()) return;
    if (!header_sent_) {
      out += wav_header(rate_);
      header_sent_ = true;
    }
    append_s16le(pcm, out);
  }
  void finish(std::string& out) override {
    if (!header_sent_) out += wav_header(rate_, 0);
    header_sent_ = true;
  }

 private:
  int rate_;
  bool header_sent_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_wav_encoder(int sample_rate) {
  return std::make_unique<WavEncoder>(sample_rate);
}

}  // namespace lector::audio
