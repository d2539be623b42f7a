#pragma once
// OpenAI's `stream_format: "sse"` for /v1/audio/speech: the encoded audio of an AudioBody as
// Server-Sent Events,
//   data: {"type":"speech.audio.delta","audio":"<base64>"}
// then, at the end,
//   data: {"type":"speech.audio.done","usage":{"input_tokens","output_tokens","total_tokens"}}
// Lector has no tokenizer: input_tokens counts the input's characters and output_tokens is 0
// (documented in the README). With a WordTimeline (plain-text input), Lector's extension: before
// the delta that carries a word's first audio,
//   data: {"type":"speech.word","word","start","end","audio_offset_seconds"}
// (start/end: code points of the input; OpenAI's clients ignore event types they do not know). A
// synthesis that fails after events went out ends with
//   data: {"type":"error","error":{"message","type","param","code"}}
// Threading: as AudioBody (the connection's strand).

#include <memory>
#include <string>

#include "api/audio_body.h"
#include "api/http_types.h"
#include "api/word_timeline.h"

namespace lector::api {

class SseBody final : public BodySource {
 public:
  SseBody(std::shared_ptr<AudioBody> audio, std::size_t input_chars,
          std::unique_ptr<WordTimeline> words = nullptr);

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override { audio_->set_waker(std::move(waker)); }
  void cancel() override { audio_->cancel(); }
  std::string error() const override { return audio_->error(); }
  ErrorCode error_code() const override { return audio_->error_code(); }
  void describe(RequestRecord& record) const override { audio_->describe(record); }

  static Response response(std::shared_ptr<SseBody> body);

 private:
  std::shared_ptr<AudioBody> audio_;
  std::size_t input_chars_;
  std::unique_ptr<WordTimeline> words_;
  std::string chunk_;
  bool sent_any_ = false;
  bool over_ = false;  // the last event went out

  // The word events of the timings the last audio_->next() collected.
  void write_words(std::string& out);
};

}  // namespace lector::api
