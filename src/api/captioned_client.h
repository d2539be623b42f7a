#pragma once
// The client side of POST /dev/captioned_speech, for `lector say --captions` (http/client.cpp,
// which must not see the JSON library): the request body and the parsed answer. Pure.

#include <optional>
#include <string>
#include <vector>

#include "api/word_timeline.h"

namespace lector::api {

struct CaptionedRequest {
  std::string input;
  std::string engine, voice;  // empty: the server's defaults
  // Passed through as given (the server validates them); empty: left out.
  std::string speed, pitch, volume, format, sample_rate;
};

// The JSON body; throws std::invalid_argument when a numeric field is not a number.
std::string captioned_request_json(const CaptionedRequest& request);

struct CaptionedAnswer {
  std::string audio;  // the file's bytes
  std::vector<TimedWord> words;
};

// nullopt when `body` is not a captioned-speech answer.
std::optional<CaptionedAnswer> parse_captioned_answer(std::string_view body);

}  // namespace lector::api
