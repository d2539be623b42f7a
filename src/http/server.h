#pragma once
// The HTTP server (Boost.Beast over Asio, C++20 coroutines). It only parses, routes to
// api::Api and streams; it never synthesizes. Beast is confined to this folder.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace lector::api {
class Api;
}

namespace lector::http {

struct HttpConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  int threads = 2;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // A request's line and headers must arrive within this of its first byte (of the connection,
  // for the first request): a client that trickles them (slowloris) is cut off.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds read_timeout{30};   // a request body must arrive within this
  std::chrono::seconds write_timeout{30};  // a client that does not read for this long is dropped
  std::chrono::seconds idle_timeout{75};   // keep-alive connections with no request
  // Open connections (HTTP and WebSocket); past it a new connection gets a 503 and is closed.
  std::size_t max_connections = 1024;
  std::chrono::seconds drain_timeout{25};  // on SIGTERM/SIGINT: how long running streams get
};

class HttpServer {
 public:
  HttpServer(api::Api& api, HttpConfig config);
  ~HttpServer();
  // Binds and listens; throws std::system_error when the address is in use.
  void listen();
  std::uint16_t port() const;
  // Serves until stop(), or until SIGINT/SIGTERM and the drain that follows: /readyz turns
  // 503, new synthesis is refused, running streams get `drain_timeout` to finish (a second
  // signal cuts them at once). Blocks the calling thread.
  void run();
  void stop();

  struct Impl;  // public so the session coroutines in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lector::http
