#pragma once
// Routes, independent of the transport. The HTTP layer turns each request into an HttpRequest,
// calls Api::handle, and writes the Response: a whole body, or a BodySource it pulls from.
//
// Threading: Api::handle may be called from any number of threads at once.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sched/scheduler.h"
#include "text/segmenter.h"

namespace lector::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as received
  std::string body;
  std::string peer;  // client address, for the log
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

struct ApiConfig {
  std::string default_engine = "espeak";
  std::string default_voice = "en-us";
  std::size_t max_text_chars = 20000;
  text::SegmenterOptions segmenter;
  int retry_after_seconds = 1;
};

class Api {
 public:
  Api(sched::Scheduler& scheduler, ApiConfig config);
  // Never throws: every error becomes a JSON error response here.
  Response handle(const HttpRequest& request) noexcept;
  // A JSON error response for errors the transport itself detects (oversize headers, ...).
  static Response error_response(int status, const std::string& message);

 private:
  Response route(const HttpRequest& request);

  sched::Scheduler& scheduler_;
  const ApiConfig config_;
  mutable std::mutex mu_;
  std::string default_engine_;
  std::map<std::string, std::string> default_voice_;  // per engine
};

// The page served at GET /, embedded at build time (web/index.html).
std::string_view page_html();

}  // namespace lector::api
