#include "api/sse_body.h"

#include "api/base64.h"
#include "api/dto.h"

namespace lector::api {

using json = nlohmann::json;

SseBody::SseBody(std::shared_ptr<AudioBody> audio, std::size_t input_chars,
                 std::unique_ptr<WordTimeline> words)
    : audio_(std::move(audio)), input_chars_(input_chars), words_(std::move(words)) {
  if (words_) audio_->collect_timings();
}

void SseBody::write_words(std::string& out) {
  if (!words_) return;
  for (const TimedWord& w : words_->add(audio_->take_timings())) {
    out += "data: ";
    out += dump_json({{"type", "speech.word"},
                      {"word", w.word},
                      {"start", w.start},
                      {"end", w.end},
                      {"audio_offset_seconds", w.start_seconds}});
    out += "\n\n";
  }
}

Response SseBody::response(std::shared_ptr<SseBody> body) {
  Response r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.stream = std::move(body);
  return r;
}

BodySource::State SseBody::next(std::string& out) {
  if (over_) return State::kEnd;
  chunk_.clear();
  const State state = audio_->next(chunk_);
  if (state == State::kData) {
    sent_any_ = true;
    write_words(out);
    out += "data: ";
    out += dump_json({{"type", "speech.audio.delta"}, {"audio", base64(chunk_)}});
    out += "\n\n";
    return State::kData;
  }
  if (state == State::kEnd) {
    over_ = true;
    write_words(out);
    const auto tokens = static_cast<std::int64_t>(input_chars_);
    out += "data: ";
    out += dump_json(
        {{"type", "speech.audio.done"},
         {"usage", {{"input_tokens", tokens}, {"output_tokens", 0}, {"total_tokens", tokens}}}});
    out += "\n\n";
    return State::kData;
  }
  if (state == State::kFailed && sent_any_) {
    // The response is already a 200 event stream: the failure becomes its last event.
    over_ = true;
    json event = openai_error_json(audio_->error_code(), audio_->error(), {});
    event["type"] = "error";
    out += "data: " + dump_json(event) + "\n\n";
    return State::kData;
  }
  return state;  // pending, or failed before anything went out (a plain error response)
}

}  // namespace lector::api
