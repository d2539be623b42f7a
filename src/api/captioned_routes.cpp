// POST /dev/captioned_speech: Kokoro-FastAPI's captioned speech, for the clients that parse it.
// The body is OpenAI's speech request (openai_speech.h); the answer, once the whole audio is
// synthesized, is JSON
//   {"audio": base64 of the whole file, "audio_format": "mp3",
//    "timestamps": [{"word", "start_time", "end_time"}, ...]}
// with Lector's word timings (word_timeline.h): a word as the client wrote it, its seconds in
// the audio, and (Lector's addition) its code points `start`/`end` in the input. A WAV file
// carries exact sizes.

#include "api/base64.h"
#include "api/dto.h"
#include "api/openai_speech.h"
#include "api/routes.h"
#include "api/word_timeline.h"
#include "audio/wav.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// Holds the whole audio and its timings, then answers the JSON at once. Threading: as
// AudioBody (the connection's strand).
class CaptionedBody final : public BodySource {
 public:
  explicit CaptionedBody(OpenAiSpeech speech)
      : audio_(std::move(speech.audio)),
        format_(speech.output.format),
        timeline_(speech.text, std::move(speech.segments)) {
    audio_->collect_timings();
  }

  State next(std::string& out) override {
    if (sent_) return State::kEnd;
    for (;;) {
      const State state = audio_->next(held_);
      (void)timeline_.add(audio_->take_timings());
      if (state == State::kData) continue;
      if (state != State::kEnd) return state;  // pending, or failed before anything was sent
      break;
    }
    if (format_ == audio::Format::kWav && held_.size() >= audio::kWavHeaderBytes) {
      // The streamed header says "unknown size"; a file knows it.
      const std::string header = audio::wav_header(
          audio_->output_rate(), static_cast<std::uint32_t>(held_.size() - audio::kWavHeaderBytes));
      held_.replace(0, audio::kWavHeaderBytes, header);
    }
    json timestamps = json::array();
    for (const TimedWord& w : timeline_.words())
      timestamps.push_back({{"word", w.word},
                            {"start_time", w.start_seconds},
                            {"end_time", std::max(w.end_seconds, w.start_seconds)},
                            {"start", w.start},
                            {"end", w.end}});
    out += dump_json({{"audio", base64(held_)},
                      {"audio_format", audio::to_string(format_)},
                      {"timestamps", std::move(timestamps)}});
    held_.clear();
    held_.shrink_to_fit();
    sent_ = true;
    return State::kData;
  }
  void set_waker(std::function<void()> waker) override { audio_->set_waker(std::move(waker)); }
  void cancel() override { audio_->cancel(); }
  std::string error() const override { return audio_->error(); }
  ErrorCode error_code() const override { return audio_->error_code(); }
  void describe(RequestRecord& record) const override { audio_->describe(record); }

 private:
  std::shared_ptr<AudioBody> audio_;
  audio::Format format_;
  WordTimeline timeline_;
  std::string held_;
  bool sent_ = false;
};

Response captioned_speech(Api& api, const HttpRequest& request) {
  OpenAiSpeech started = start_openai_speech(api, request);
  if (started.sse) throw bad_parameter("stream_format", "captioned speech is not streamed");
  Response r;
  r.content_type = "application/json";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.stream = std::make_shared<CaptionedBody>(std::move(started));
  return r;
}

}  // namespace

void add_captioned_routes(RouteTable& routes, Api& api) {
  routes.add("/dev/captioned_speech", {"POST"},
             [&api](const HttpRequest& request) { return captioned_speech(api, request); });
}

}  // namespace lector::api
