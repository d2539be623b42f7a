#pragma once
// A small synchronous HTTP/1.1 client for the remote engine: one request per connection, the
// response body read piece by piece as it arrives (Content-Length or chunked), http:// and
// https:// (certificates verified against the system's store, the host name checked).
// Boost.Beast is used in remote_http.cpp only: it is slow to compile.
//
// Threading: an Exchange is used by one thread (the worker's main thread). Every wait is cut
// into short slices, and between slices `keep_going` is asked whether to go on, so a cancelled
// job stops waiting for a silent upstream at once.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "engine/remote_protocol.h"

namespace lector::engine::remote {

struct Timeouts {
  std::chrono::milliseconds connect{5000};  // name resolution, TCP connect, TLS handshake
  std::chrono::milliseconds idle{30000};    // the longest silence while sending or reading
};

// The connection failed, as opposed to an HTTP error status. The message names the upstream's
// origin (never a key) and what happened.
class TransportError : public Error {
 public:
  enum class Kind {
    kRefused,  // connect refused or reset: the upstream never saw the request
    kLost,     // the connection was reset or closed before the response ended
    kTimeout,  // connect or idle timeout
    kOther,    // name resolution, TLS, a malformed response
  };
  TransportError(Kind kind, const std::string& message)
      : Error(ErrorCode::kEngineFailed, message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

struct Request {
  std::string method = "GET";
  std::string path;  // appended to the endpoint's base path, e.g. "/v1/audio/speech"
  std::string content_type;
  std::string body;
  std::string bearer;  // sent as "Authorization: Bearer ..." when not empty; never logged
};

class Exchange {
 public:
  using KeepGoing = std::function<bool()>;
  Exchange(const Endpoint& endpoint, Timeouts timeouts, KeepGoing keep_going = {});
  ~Exchange();  // closes the connection
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Connects, sends the request and reads the response's head. False when keep_going() asked
  // to stop. Throws TransportError.
  bool start(const Request& request);
  int status() const;

  enum class Read { kData, kEnd, kStopped };
  // Replaces `out` with the next bytes of the body as soon as some arrive (kData), or reports
  // the end of the body (kEnd) or a stop asked by keep_going() (kStopped). Throws
  // TransportError.
  Read read_some(std::string& out);
  // The rest of the body, cut at `limit` bytes (for small bodies: errors, voice lists).
  // Throws TransportError; returns what was read when keep_going() asked to stop.
  std::string read_rest(std::size_t limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether this build speaks https:// (OpenSSL found at build time).
bool tls_supported() noexcept;

}  // namespace lector::engine::remote
