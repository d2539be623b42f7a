#pragma once
// Routes, independent of the transport. The HTTP layer turns each request into an HttpRequest,
// calls Api::handle, and writes the Response: a whole body, or a BodySource it pulls from.
//
// Threading: Api::handle may be called from any number of threads at once.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sched/scheduler.h"
#include "text/segmenter.h"

namespace lector::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as received
  std::string body;
  std::string content_type;  // of the body, as sent
  std::string peer;          // client address, for the log
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
  // Status for a failure before any byte was sent: 500, or 400 when the client's own input
  // (an uploaded text) was bad.
  virtual int error_status() const { return 500; }
  // Called once by the transport when the response is over (for the access log).
  virtual void finished(bool complete, std::size_t bytes_sent) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodySource> stream;  // when set, `body` is empty and the body is streamed
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
// called from any thread.
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
};

// Request parameters by name, as text (query values, or JSON values rendered as text).
using ParamLookup = std::function<std::optional<std::string>(const char* name)>;

struct ApiConfig {
  std::string default_engine = "espeak";
  std::string default_voice = "en-us";
  std::size_t max_text_chars = 20000;
  text::SegmenterOptions segmenter;
  int retry_after_seconds = 1;
  std::size_t max_ws_message_bytes = 64 * 1024;
  std::chrono::milliseconds quiet_flush{300};  // streamed text: flush a pending fragment after this
};

class Api {
 public:
  Api(sched::Scheduler& scheduler, ApiConfig config);
  // Never throws: every error becomes a JSON error response here.
  Response handle(const HttpRequest& request) noexcept;
  // A JSON error response for errors the transport itself detects (oversize headers, ...).
  static Response error_response(int status, const std::string& message);

  // For a WebSocket upgrade of `request`: the session, or an error response (404 for a path
  // with no WebSocket route).
  std::variant<std::unique_ptr<WsSession>, Response> open_websocket(const HttpRequest& request);
  const ApiConfig& config() const { return config_; }

  // Whether a request with this head wants its body streamed into synthesis (POST /tts with a
  // text body) rather than read whole first.
  static bool streams_body(std::string_view method, std::string_view target,
                           std::string_view content_type);
  // For such a request: the audio response and the sink for its body, or an error response.
  std::variant<Upload, Response> open_upload(const HttpRequest& head) noexcept;

  // Engine, voice and audio parameters of a synthesis (everything but the text), from
  // request parameters and the server defaults. Throws Error(kBadParameter).
  sched::SynthesisRequest resolve(const ParamLookup& params) const;
  // Validates and cleans user text: UTF-8, length cap, control characters. Throws on bad text.
  std::string clean_text(std::string_view raw, const char* param = "text") const;
  // The language of a resolved request's voice, for segmentation.
  std::string language_of(const sched::SynthesisRequest& request) const;
  sched::Scheduler& scheduler() { return scheduler_; }

 private:
  Response route(const HttpRequest& request);
  // Runs `body`, turning every exception into an error response (the one place that maps
  // error codes to statuses).
  Response guarded(const std::function<Response()>& body, std::string_view target) noexcept;

  sched::Scheduler& scheduler_;
  const ApiConfig config_;
  mutable std::mutex mu_;
  std::string default_engine_;
  std::map<std::string, std::string> default_voice_;  // per engine
};

// The page served at GET /, embedded at build time (web/index.html).
std::string_view page_html();

}  // namespace lector::api
