#pragma once
// A WAV body with exact sizes in its header (MaryTTS's AUDIO=WAVE_FILE, for clients that read
// the header's length): the whole audio of a WAV AudioBody is held, then sent at once. Costs
// the time to first audio and memory for the whole audio (bounded by the text caps), which is
// why the streamed header is the default everywhere else.
// Threading: as AudioBody (the connection's strand).

#include <memory>
#include <string>

#include "api/audio_body.h"
#include "api/http_types.h"

namespace lector::api {

// Writes the real sizes into the streamed ("unknown size") header at the start of a whole WAV
// body at `rate`.
void set_wav_sizes(std::string& body, int rate);

class CompleteWavBody final : public BodySource {
 public:
  explicit CompleteWavBody(std::shared_ptr<AudioBody> wav) : wav_(std::move(wav)) {}

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override { wav_->set_waker(std::move(waker)); }
  void cancel() override { wav_->cancel(); }
  std::string error() const override { return wav_->error(); }
  ErrorCode error_code() const override { return wav_->error_code(); }
  void describe(RequestRecord& record) const override { wav_->describe(record); }

 private:
  std::shared_ptr<AudioBody> wav_;
  std::string held_;
  bool sent_ = false;
};

}  // namespace lector::api
