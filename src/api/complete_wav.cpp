#include "api/complete_wav.h"

#include <algorithm>

#include "audio/wav.h"

namespace lector::api {

void set_wav_sizes(std::string& body, int rate) {
  // The streamed header says "unknown size"; now the size is known.
  const std::size_t data =
      body.size() >= audio::kWavHeaderBytes ? body.size() - audio::kWavHeaderBytes : 0;
  const std::string header = audio::wav_header(rate, static_cast<std::uint32_t>(data));
  body.replace(0, std::min(body.size(), audio::kWavHeaderBytes), header);
}

BodySource::State CompleteWavBody::next(std::string& out) {
  if (sent_) return State::kEnd;
  for (;;) {
    const State state = wav_->next(held_);
    if (state == State::kData) continue;
    if (state != State::kEnd) return state;  // pending, or failed before anything was sent
    break;
  }
  set_wav_sizes(held_, wav_->output_rate());
  out += held_;
  held_.clear();
  held_.shrink_to_fit();
  sent_ = true;
  return State::kData;
}

}  // namespace lector::api
