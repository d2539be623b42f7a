#include "audio/transcoder.h"

#include "core/error.h"

namespace lector::audio {

Transcoder::Transcoder(int in_rate, Format format, int out_rate)
    : format_(format), out_rate_(out_rate), encoder_(make_encoder(format, out_rate)) {
  if (in_rate != out_rate) resampler_ = std::make_unique<Resampler>(in_rate, out_rate);
}

void Transcoder::write(std::string_view pcm, std::string& out) {
  if (pcm.size() % 2 != 0)
    throw Error(ErrorCode::kInternal, "transcoder: PCM chunk of an odd number of bytes");
  std::vector<std::int16_t> samples(pcm.size() / 2);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto lo = static_cast<unsigned char>(pcm[2 * i]);
    const auto hi = static_cast<unsigned char>(pcm[2 * i + 1]);
    samples[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
  }
  if (!resampler_) {
    encoder_->write(samples, out);
    return;
  }
  scratch_.clear();
  resampler_->process(samples, scratch_);
  encoder_->write(scratch_, out);
}

void Transcoder::finish(std::string& out) {
  if (resampler_) {
    scratch_.clear();
    resampler_->flush(scratch_);
    encoder_->write(scratch_, out);
  }
  encoder_->finish(out);
}

}  // namespace lector::audio
