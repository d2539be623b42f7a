#pragma once
// The streamed upload sink: the text body of POST /tts, fed to an open scheduler request
// segment by segment while its audio already streams back.
//
// Threading: called from the connection's strand only. Owns its text front end; shares the
// AudioBody (and through it the scheduler request) with the response.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/audio_body.h"
#include "api/http_types.h"
#include "text/frontend.h"

namespace lector::api {

class TextUpload final : public UploadSink {
 public:
  TextUpload(std::shared_ptr<AudioBody> source, text::FrontendOptions frontend,
             std::size_t max_chars);

  bool feed(std::string_view bytes) override;
  void finish() override;
  void abort() override;

 private:
  bool reject(const std::string& problem);
  void send(const std::vector<text::MappedText>& segments);

  std::shared_ptr<AudioBody> source_;
  text::Frontend frontend_;
  std::size_t max_chars_;
  std::string carry_;  // an incomplete UTF-8 sequence at the end of what arrived
  std::size_t chars_ = 0;
  std::size_t segments_ = 0;
  bool failed_ = false;
};

}  // namespace lector::api
