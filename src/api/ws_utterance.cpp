#include "api/ws_utterance.h"

#include <algorithm>

#include "api/text_options.h"

namespace lector::api {

Utterance::Utterance(Api& api, sched::SynthesisRequest request, const OutputSpec& output,
                     const std::function<void()>& waker, std::uint64_t n, Clock::time_point text_at,
                     int silence)
    : number(n),
      silence_ms(silence),
      first_text(text_at),
      engine(request.engine),
      voice(request.voice) {
  request.open = true;
  request_ = api.scheduler().submit(std::move(request));
  request_.set_waker(waker);
  const int rate = output.sample_rate != 0 ? output.sample_rate : request_.sample_rate();
  if (output.format != audio::Format::kPcm || rate != request_.sample_rate())
    transcoder_.emplace(request_.sample_rate(), output.format, rate);
}

void Utterance::encode(std::string_view pcm, std::string& out) {
  if (transcoder_) {
    transcoder_->write(pcm, out);
  } else {
    out.append(pcm);
  }
}

void Utterance::finish(std::string& out) {
  if (transcoder_) transcoder_->finish(out);
}

int Utterance::output_rate() const {
  return transcoder_ ? transcoder_->out_rate() : request_.sample_rate();
}

const char* Utterance::encoding() const {
  return transcoder_ && transcoder_->format() != audio::Format::kPcm
             ? audio::to_string(transcoder_->format())
             : "pcm_s16le";
}

void Utterance::append(std::vector<text::MappedText> segments) {
  std::vector<std::string> texts = segment_texts(segments);
  tracker_.add_segments(std::move(segments));
  request_.append(std::move(texts));
}

Utterance::State Utterance::take(std::string& pcm, std::vector<sched::AudioMark>& marks) {
  const State state = request_.take(pcm, &marks, 128 * 1024);
  for (const sched::AudioMark& m : marks) tracker_.mark(m);
  return state;
}

std::size_t Utterance::silence_piece() const {
  return static_cast<std::size_t>(static_cast<std::int64_t>(silence_ms) * request_.sample_rate() /
                                  1000) *
         2;
}

void Utterance::delivered(std::size_t pcm_end, std::size_t silence_end) {
  delivered_pcm_ = std::max(delivered_pcm_, pcm_end);
  delivered_silence_ = std::max(delivered_silence_, silence_end);
}

}  // namespace lector::api
