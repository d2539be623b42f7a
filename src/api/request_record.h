#pragma once
// What is known about one finished request — an HTTP request of any route, or one utterance
// on a WebSocket — for its log line and the metrics (Api::request_done writes both, so the
// two never disagree). Filled by whoever sees the request end: the transport for HTTP
// (http/server.cpp, with BodySource::describe for the audio), the WebSocket sessions for
// utterances.

#include <cstddef>
#include <optional>
#include <string>

#include "api/heard.h"
#include "core/error.h"

namespace lector::api {

// How a request ended. A stream that did not complete gets the status the log and the
// metrics record for it: 499 for kClientGone, kWriteTimeout and kBargeIn (the client ended
// it), 500 for kFailed after audio was sent, 503 for kShutdown (cut at the drain deadline).
enum class RequestEnd {
  kComplete,
  kClientGone,    // the client closed the connection (or the WebSocket) first
  kWriteTimeout,  // the client left audio unread for --write-timeout
  kBargeIn,       // a /v1/stream cancel message
  kFailed,        // synthesis failed after audio went out
  kShutdown,      // cut at the drain deadline
};
const char* to_string(RequestEnd end) noexcept;

struct RequestRecord {
  std::string id;      // X-Request-Id (HTTP); "<connection id>/<n>" for an utterance
  std::string route;   // the request's path; Api::request_done maps it onto a route label
  std::string method;  // HTTP method; "WS" for a WebSocket utterance
  std::string peer;
  std::string key_name;  // the API key's name; empty: anonymous. Never the key itself.
  int status = 0;        // the HTTP status sent, or as RequestEnd says for a cut stream
  RequestEnd end = RequestEnd::kComplete;
  std::optional<ErrorCode> error;  // the error answered, when the status is one
  std::size_t bytes = 0;           // body bytes sent
  double total_seconds = 0;        // from the request's head (an utterance: its first text)

  // Synthesis (engine set): filled by BodySource::describe or the WebSocket session.
  std::string engine;
  std::string voice;
  std::string format;
  int sample_rate = 0;
  std::size_t chars = 0;  // of the text, when known whole (0 for streamed text)
  double audio_seconds = 0;
  std::optional<double> first_audio_seconds;  // time to first audio
  std::optional<double> queue_wait_seconds;   // submit to the first segment's start
  // A stream cut short (barge-in, the client gone): what the client had been handed.
  std::optional<Heard> heard;
};

}  // namespace lector::api
