#include "audio/transcoder.h"

#include "core/error.h"

namespace lector::audio {

Transcoder::Transcoder(int in_rate, Format format, int out_rate)
    : format_(format), out_rate_(out_rate), encoder_(make_encoder(format, out_rate)) {
  if (in_rate != out_rate) resampler_ = std::make_unique<Resampler>(in_rate, out_rate);
  passthrough_ = !resampler_ && (format == Format::kWav || format == Format::kPcm);
}

void Transcoder::write(std::string_view pcm, std::string& out) {
  if (pcm.size() % 2 != 0)
    throw Error(ErrorCode::kInternal, "transcoder: PCM chunk of an odd number of bytes");
  if (passthrough_) {
    if (pcm.empty()) return;
    if (format_ == Format::kWav && !header_sent_) out += wav_header(out_rate_);
    header_sent_ = true;
    out.append(pcm);
    return;
  }
  samples_.resize(pcm.size() / 2);
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    const auto lo = static_cast<unsigned char>(pcm[2 * i]);
    const auto hi = static_cast<unsigned char>(pcm[2 * i + 1]);
    samples_[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
  }
  if (!resampler_) {
    encoder_->write(samples_, out);
    return;
  }
  scratch_.clear();
  resampler_->process(samples_, scratch_);
  encoder_->write(scratch_, out);
}

void Transcoder::encode_appended(std::string& out, std::size_t from) {
  if (from >= out.size()) return;
  if (passthrough_) {
    if ((out.size() - from) % 2 != 0)
      throw Error(ErrorCode::kInternal, "transcoder: PCM chunk of an odd number of bytes");
    if (format_ == Format::kWav && !header_sent_) out.insert(from, wav_header(out_rate_));
    header_sent_ = true;
    return;
  }
  pending_.assign(out, from);
  out.resize(from);
  write(pending_, out);
}

void Transcoder::finish(std::string& out) {
  if (passthrough_) {
    // No samples at all: an exact, empty WAV.
    if (format_ == Format::kWav && !header_sent_) out += wav_header(out_rate_, 0);
    header_sent_ = true;
    return;
  }
  if (resampler_) {
    scratch_.clear();
    resampler_->flush(scratch_);
    encoder_->write(scratch_, out);
  }
  encoder_->finish(out);
}

}  // namespace lector::audio
