#pragma once
// The Wyoming TCP server (plain Boost.Asio, C++20 coroutines): accepts connections, decodes
// frames (frame.h), runs one Session per connection (session.h) and writes its answers. It
// shares the process's scheduler through api::Api; it never synthesizes.
//
// Threading: it owns its own io_context, run by one thread of its own (start() .. stop()), so
// the HTTP server and this one stop and start independently and neither's handlers wait on the
// other's; each connection runs on its own strand, so more threads would need no other change.
// Wyoming traffic is a few events and PCM per request, so one thread serves many connections.
// listen(), start(), stop() and port() are called from the thread that owns the server.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "wyoming/info.h"

namespace lector::api {
class Api;
}

namespace lector::wyoming {

struct WyomingConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 10200;
  // A client that leaves audio unread for this long is disconnected (--write-timeout).
  std::chrono::seconds write_timeout{30};
  // A connection with nothing in flight that sends nothing for this long is closed.
  std::chrono::seconds idle_timeout{300};
  ProgramInfo program;
};

class WyomingServer {
 public:
  WyomingServer(api::Api& api, WyomingConfig config);
  ~WyomingServer();  // stops
  WyomingServer(const WyomingServer&) = delete;
  WyomingServer& operator=(const WyomingServer&) = delete;

  // Binds and listens; throws std::system_error (address in use, ...).
  void listen();
  std::uint16_t port() const;
  // Serves on a thread of its own until stop().
  void start();
  // Closes the listener and every connection (their requests are cancelled), then joins the
  // thread. Idempotent.
  void stop();

  struct Impl;  // public so the connection coroutines in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lector::wyoming
