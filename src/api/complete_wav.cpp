#include "api/complete_wav.h"

#include "audio/wav.h"

namespace lector::api {

BodySource::State CompleteWavBody::next(std::string& out) {
  if (sent_) return State::kEnd;
  for (;;) {
    const State state = wav_->next(held_);
    if (state == State::kData) continue;
    if (state != State::kEnd) return state;  // pending, or failed before anything was sent
    break;
  }
  // The streamed header says "unknown size"; now the size is known.
  const std::size_t data =
      held_.size() >= audio::kWavHeaderBytes ? held_.size() - audio::kWavHeaderBytes : 0;
  const std::string header =
      audio::wav_header(wav_->output_rate(), static_cast<std::uint32_t>(data));
  held_.replace(0, std::min(held_.size(), audio::kWavHeaderBytes), header);
  out += held_;
  held_.clear();
  held_.shrink_to_fit();
  sent_ = true;
  return State::kData;
}

}  // namespace lector::api
