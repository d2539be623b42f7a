#include "http/websocket.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "core/error.h"
#include "http/log_exception.h"
#include "obs/log.h"

namespace lector::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
constexpr auto kTupleAwaitable = net::as_tuple(net::use_awaitable);

namespace {

struct Shared {
  explicit Shared(const net::any_io_executor& ex) : wakeup(ex), reader_done_timer(ex) {
    reader_done_timer.expires_at(net::steady_timer::time_point::max());
  }
  net::steady_timer wakeup;
  net::steady_timer reader_done_timer;
  bool reader_done = false;
  bool reader_failed = false;  // the reader threw: the socket closes with 1011
  bool writer_done = false;    // the write deadline's handler must not touch the socket
  bool draining = false;       // the server shuts down: close once the session is idle
  // The socket while the session runs, for the shutdown's cut (posted to the strand, so it
  // may arrive after the session ended: then this is null).
  beast::tcp_stream::socket_type* socket = nullptr;
};

// Reads client messages into the session until the connection ends.
net::awaitable<void> read_loop(websocket::stream<beast::tcp_stream>& ws, api::WsSession& session,
                               std::shared_ptr<Shared> shared) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, kTupleAwaitable);
    if (ec) {
      if (ec != websocket::error::closed && ec != net::error::operation_aborted &&
          ec != net::error::eof)
        obs::log_debug("websocket read ended: {}", ec.message());
      break;
    }
    const auto data = buffer.cdata();
    session.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()),
                       !ws.got_text());
    buffer.consume(buffer.size());
    shared->wakeup.cancel();
  }
  shared->reader_done = true;
  shared->wakeup.cancel();
}

}  // namespace

net::awaitable<void> run_websocket(beast::tcp_stream stream,
                                   beast::http::request<beast::http::string_body> upgrade,
                                   std::unique_ptr<api::WsSession> session,
                                   std::size_t max_message_bytes,
                                   std::chrono::seconds write_timeout, StreamTracker& tracker,
                                   std::string request_id) {
  auto ex = co_await net::this_coro::executor;
  stream.expires_never();
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.set_option(websocket::stream_base::decorator([request_id](websocket::response_type& res) {
    res.set(beast::http::field::server, "lector");
    res.set("X-Request-Id", request_id);
  }));
  ws.read_message_max(max_message_bytes);
  ws.auto_fragment(false);
  auto [accept_ec] = co_await ws.async_accept(upgrade, kTupleAwaitable);
  if (accept_ec) co_return;

  auto shared = std::make_shared<Shared>(ex);
  shared->wakeup.expires_at(net::steady_timer::time_point::max());
  session->set_waker([shared, ex] { net::post(ex, [shared] { shared->wakeup.cancel(); }); });

  net::co_spawn(ex, read_loop(ws, *session, shared),
                log_exception("websocket reader", [shared](bool failed) {
                  shared->reader_failed = failed;
                  shared->reader_done = true;
                  shared->reader_done_timer.cancel();
                  shared->wakeup.cancel();
                }));

  // A client that stops reading: the write waits for room in the socket; past the deadline the
  // socket is closed, which fails the write and ends the session (and its requests).
  net::steady_timer write_deadline(ex);
  auto& socket = beast::get_lowest_layer(ws).socket();
  shared->socket = &socket;
  TrackedStream tracked(
      tracker,
      [shared, ex] {
        net::post(ex, [shared] {
          shared->draining = true;
          shared->wakeup.cancel();
        });
      },
      [shared, ex] {
        net::post(ex, [shared] {
          if (shared->socket == nullptr) return;
          beast::error_code ignored;
          shared->socket->close(ignored);
        });
      });
  bool write_failed = false;
  bool session_failed = false;
  try {
    while (!write_failed) {
      while (auto m = session->poll()) {
        ws.binary(m->binary);
        write_deadline.expires_after(write_timeout);
        write_deadline.async_wait([shared, &socket](const beast::error_code& ec) {
          if (ec || shared->writer_done) return;
          obs::log_info("websocket client left audio unread past the write timeout; closing");
          beast::error_code ignored;
          socket.close(ignored);
        });
        auto [ec, n] = co_await ws.async_write(net::buffer(m->data), kTupleAwaitable);
        write_deadline.cancel();
        if (ec) {
          write_failed = true;
          break;
        }
      }
      if (write_failed || shared->reader_done) break;
      if (session->finished()) {
        co_await ws.async_close(websocket::close_code::normal, kTupleAwaitable);
        break;
      }
      if (shared->draining && session->idle()) {
        const auto code = error_spec(ErrorCode::kShuttingDown).ws_close;
        co_await ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(code),
                                                        "server shutting down"),
                                kTupleAwaitable);
        break;
      }
      shared->wakeup.expires_at(session->deadline());
      co_await shared->wakeup.async_wait(kTupleAwaitable);
    }
  } catch (const std::exception& e) {
    // A session that throws while producing messages: close with 1011 below, after which the
    // reader (which refers to `ws` and `session`) is waited for as on every other path.
    obs::log_error("websocket session failed: {}", e.what());
    session_failed = true;
  }
  shared->writer_done = true;
  if ((shared->reader_failed || session_failed) && !write_failed && ws.is_open()) {
    const auto code = error_spec(ErrorCode::kInternal).ws_close;
    co_await ws.async_close(websocket::close_reason(code), kTupleAwaitable);
  }
  session->on_disconnect();
  // The reader refers to `ws` and `session`: wait for it before they go away.
  if (!shared->reader_done || ws.is_open()) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
  while (!shared->reader_done) co_await shared->reader_done_timer.async_wait(kTupleAwaitable);
  shared->socket = nullptr;
}

}  // namespace lector::http
