#pragma once
// WebSocket transport: runs an api::WsSession over an upgraded connection. Internal to http/.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>

#include "api/api.h"
#include "http/stream_tracker.h"

namespace lector::http {

// Completes the handshake for `upgrade` (answering with X-Request-Id `request_id`) and serves
// the session until either side closes. A message the client leaves unread for
// `write_timeout` closes the connection. The session counts in `tracker` while it runs: once
// the server drains, it closes with 1001 (going away) as soon as nothing is in flight; at the
// drain deadline its socket is closed.
boost::asio::awaitable<void> run_websocket(
    boost::beast::tcp_stream stream,
    boost::beast::http::request<boost::beast::http::string_body> upgrade,
    std::unique_ptr<api::WsSession> session, std::size_t max_message_bytes,
    std::chrono::seconds write_timeout, StreamTracker& tracker, std::string request_id);

}  // namespace lector::http
