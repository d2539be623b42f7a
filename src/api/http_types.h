#pragma once
// What the transport (http/) and the routes (api/) exchange: plain structs and interfaces, no
// Beast, no JSON.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/request_record.h"
#include "core/error.h"
#include "core/usage.h"

namespace lector::api {

// Decoded query parameters, in the order sent (a name may repeat).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded (http/target.h); any bytes
  QueryParams params;  // percent-decoded, '+' as space; any bytes
  std::string body;
  std::string content_type;  // of the body, as sent
  std::string peer;          // client address, for the log
  std::string id;            // X-Request-Id: the client's if valid, else generated
  // Request headers, names lower-case, in the order sent.
  std::vector<std::pair<std::string, std::string>> headers;

  // Set by Api before the request is routed (access/access.h): the name of the API key the
  // request carries ("" without one), for logs and metrics, and the key's account, which
  // routes attach to their synthesis requests (sched::SynthesisRequest::usage).
  std::string key_name;
  std::shared_ptr<UsageMeter> usage;

  // The first value of query parameter `name`, if present.
  std::optional<std::string> param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return std::nullopt;
  }
  // The first value of header `name` (lower-case), if present.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return std::string_view(v);
    return std::nullopt;
  }
};

// How a body held whole is sent (BodySource::held): these replace the Response's status and,
// when not empty, its Content-Type; the headers are added to the Response's.
struct HeldResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<ErrorCode> error;  // the status is an error (a 416)
};

// A response body produced over time (audio). The transport calls next() until kEnd or
// kFailed, waiting for the waker between kPending answers, and cancel() if the client leaves.
class BodySource {
 public:
  enum class State { kPending, kData, kEnd, kFailed };
  virtual ~BodySource() = default;
  virtual State next(std::string& out) = 0;  // appends bytes to `out`
  virtual void set_waker(std::function<void()> waker) = 0;
  virtual void cancel() = 0;
  virtual std::string error() const = 0;
  // What a failure before any byte was sent is: kEngineFailed, or kBadParameter when the
  // client's own input (an uploaded text) was bad. The transport renders it by the error table.
  virtual ErrorCode error_code() const { return ErrorCode::kEngineFailed; }
  // Called once by the transport when the response is over: adds what the body knows of
  // the synthesis (engine, voice, audio, time to first audio) to the request's record.
  virtual void describe(RequestRecord& record) const = 0;
  // A body produced whole before its first byte leaves (/tts with complete=1 or a Range
  // header, api/held_body.h): once next() returned kData, that piece is the whole body (next()
  // then returns kEnd), and held() says what it is sent with: a Content-Length instead of
  // chunks, and its own status (206, 416) and headers. nullopt: a streamed body.
  virtual std::optional<HeldResponse> held() const { return std::nullopt; }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodySource> stream;  // when set, `body` is empty and the body is streamed
  std::optional<ErrorCode> error;      // set by Api::error_response: what the status means
};

// Text arriving in a request body while its audio already streams back (POST /tts with a
// text body). Called from the connection's strand only.
class UploadSink {
 public:
  virtual ~UploadSink() = default;
  // More body bytes (any split, even inside a UTF-8 sequence). Returns false when the text is
  // bad; the response then fails with a 400 and the caller stops feeding.
  virtual bool feed(std::string_view bytes) = 0;
  virtual void finish() = 0;  // the body is complete
  virtual void abort() = 0;   // the client is gone
};

struct Upload {
  Response response;  // streams the audio
  std::shared_ptr<UploadSink> sink;
};

// A message on a WebSocket, either way.
struct WsMessage {
  bool binary = false;
  std::string data;
};

// A WebSocket session, independent of the transport. The transport calls on_message() for
// each client message and pulls outgoing messages with poll(), one at a time, waiting for the
// waker (or deadline()) when there are none. All calls come from one strand; the waker may be
// called from any thread. on_message() reports errors as messages and does not throw.
class WsSession {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~WsSession() = default;
  virtual void on_message(std::string_view data, bool binary) = 0;
  // The next message to send, if any.
  virtual std::optional<WsMessage> poll() = 0;
  // True once everything is sent and the session wants the socket closed (close code 1000).
  virtual bool finished() const = 0;
  // poll() has timed work (a quiet-period flush) due at this time; max() when none.
  virtual Clock::time_point deadline() const = 0;
  virtual void set_waker(std::function<void()> waker) = 0;
  // The client is gone: cancel everything in flight.
  virtual void on_disconnect() = 0;
  // Nothing in flight and nothing left to send: the transport may close the socket when the
  // server shuts down.
  virtual bool idle() const = 0;
};

// Request parameters by name, as text (query values, or JSON values rendered as text).
using ParamLookup = std::function<std::optional<std::string>(const char* name)>;

}  // namespace lector::api
