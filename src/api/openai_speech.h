#pragma once
// The request of OpenAI's POST /v1/audio/speech, parsed, checked and started, for the routes
// that answer it in different shapes: the speech route itself (audio or SSE) and the
// captioned-speech route (JSON with base64 audio and word timestamps, captioned_routes.cpp).

#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/audio_body.h"
#include "api/http_types.h"
#include "api/output.h"
#include "text/source_map.h"

namespace lector::api {

struct OpenAiSpeech {
  std::shared_ptr<AudioBody> audio;  // submitted
  OutputSpec output;
  std::size_t chars = 0;  // the input's code points
  bool sse = false;       // stream_format: sse
  // Plain-text input: the text the segments' spans point into and the segments spoken (one
  // run). Empty for SSML input, whose words are not timed.
  std::string text;
  std::vector<text::MappedText> segments;
};

// Throws lector::Error naming the bad field (OpenAI's names: input, model, voice, ...).
OpenAiSpeech start_openai_speech(Api& api, const HttpRequest& request);

}  // namespace lector::api
