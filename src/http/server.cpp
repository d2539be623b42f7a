#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <thread>
#include <vector>

#include "api/api.h"
#include "core/error.h"
#include "http/log_exception.h"
#include "http/target.h"
#include "http/websocket.h"
#include "obs/log.h"

namespace lector::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto kTupleAwaitable = net::as_tuple(net::use_awaitable);

struct HttpServer::Impl {
  Impl(api::Api& a, HttpConfig c) : api(a), config(std::move(c)) {}
  api::Api& api;
  HttpConfig config;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::signal_set signals{ioc, SIGINT, SIGTERM};
};

namespace {

// Wakes a coroutine waiting on `timer` from another thread (see BodySource::set_waker).
struct Wakeup {
  explicit Wakeup(const net::any_io_executor& ex) : timer(ex) {
    timer.expires_at(net::steady_timer::time_point::max());
  }
  net::steady_timer timer;
};

// State shared by a streaming response and the coroutine that watches the client's socket.
struct Watch {
  explicit Watch(const net::any_io_executor& ex) : done_timer(ex) {
    done_timer.expires_at(net::steady_timer::time_point::max());
  }
  bool done = false;
  bool peer_gone = false;
  // Set by the writer before it cancels the watcher's read: a read that had already completed
  // (its handler queued) is not cancelled, so the watcher checks this after every read.
  bool stopping = false;
  net::steady_timer done_timer;
};

std::string peer_name(const beast::tcp_stream& stream) {
  beast::error_code ec;
  const auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

using RequestParser = bhttp::request_parser<bhttp::string_body>;

// While audio streams, a read on the socket notices a client that hangs up and cancels its
// synthesis at once, instead of at the next failed write. Bytes it reads (a pipelined
// request) stay in `buffer` for the session. For an upload, it first reads the request body
// and feeds it to `upload` as it arrives, so audio flows back while the upload continues.
net::awaitable<void> watch_peer(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                std::shared_ptr<Watch> watch, std::shared_ptr<api::BodySource> src,
                                std::shared_ptr<Wakeup> wakeup, RequestParser* parser,
                                std::shared_ptr<api::UploadSink> upload) {
  auto peer_gone = [&] {
    watch->peer_gone = true;
    if (upload) upload->abort();
    src->cancel();
    wakeup->timer.cancel();
  };
  if (upload) {
    bool accepting = true;
    while (!parser->is_done()) {
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, *parser, kTupleAwaitable);
      if (watch->stopping) co_return;
      if (ec) {
        if (ec == net::error::operation_aborted) co_return;
        if (accepting) peer_gone();
        co_return;
      }
      std::string& body = parser->get().body();
      if (accepting && !body.empty()) accepting = upload->feed(body);
      body.clear();
    }
    if (accepting) upload->finish();
  }
  constexpr std::size_t kMaxPipelined = 64 * 1024;
  while (buffer.size() < kMaxPipelined) {
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTupleAwaitable);
    if (watch->stopping) {
      // The client hung up just as the response ended. The session's next read was seen not to
      // hear of it again: the connection stayed in CLOSE-WAIT until the keep-alive timeout
      // (test_catalogue_conn). So say so, and the session closes. Not when a pipelined request
      // is buffered: that one is answered first.
      if (ec && ec != net::error::operation_aborted && buffer.size() == 0) watch->peer_gone = true;
      co_return;
    }
    if (ec) {
      if (ec != net::error::operation_aborted) peer_gone();
      co_return;
    }
    buffer.commit(n);
  }
}

template <typename Body>
void add_headers(bhttp::response<Body>& res, const api::Response& r) {
  res.set(bhttp::field::server, "lector");
  res.set(bhttp::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
}

net::awaitable<bool> write_simple(beast::tcp_stream& stream, const api::Response& r,
                                  unsigned version, bool keep_alive, bool head_only,
                                  std::chrono::seconds timeout) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  add_headers(res, r);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  stream.expires_after(timeout);
  beast::error_code ec;
  if (head_only) {
    bhttp::response_serializer<bhttp::string_body> sr{res};
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(stream, sr, kTupleAwaitable);
  } else {
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, kTupleAwaitable);
  }
  co_return !ec && keep_alive;
}

// Streams a BodySource as a chunked response (raw, ended by closing, for HTTP/1.0). Returns whether
// the connection can be reused.
net::awaitable<bool> write_stream(HttpServer::Impl& impl, beast::tcp_stream& stream,
                                  beast::flat_buffer& buffer, api::Response& r,
                                  std::string_view path, unsigned version, bool keep_alive,
                                  RequestParser* parser = nullptr,
                                  std::shared_ptr<api::UploadSink> upload = nullptr) {
  auto ex = co_await net::this_coro::executor;
  auto src = r.stream;
  auto wakeup = std::make_shared<Wakeup>(ex);
  src->set_waker([wakeup, ex] { net::post(ex, [wakeup] { wakeup->timer.cancel(); }); });

  auto watch = std::make_shared<Watch>(ex);
  stream.expires_never();
  net::co_spawn(ex, watch_peer(stream, buffer, watch, src, wakeup, parser, upload),
                log_exception("client watcher", [watch, src, wakeup, upload](bool failed) {
                  if (failed) {
                    // Nobody watches the socket any more (and an upload may be half fed):
                    // end the request rather than leave the writer waiting for ever.
                    watch->peer_gone = true;
                    if (upload) upload->abort();
                    src->cancel();
                    wakeup->timer.cancel();
                  }
                  watch->done = true;
                  watch->done_timer.cancel();
                }));
  // Stops the watcher and waits for it (it refers to `stream` and `buffer`).
  auto stop_watcher = [&]() -> net::awaitable<void> {
    if (watch->done) co_return;
    watch->stopping = true;
    beast::error_code ignored;
    stream.socket().cancel(ignored);
    while (!watch->done) co_await watch->done_timer.async_wait(kTupleAwaitable);
  };

  std::string out;
  std::size_t sent = 0;
  bool complete = false;
  bool headers_sent = false;
  const bool chunked = version >= 11;

  // Pulls the next piece of body, waiting while the source has nothing yet. Once the client is
  // gone the source was cancelled and is not asked again.
  auto pull = [&]() -> net::awaitable<api::BodySource::State> {
    for (;;) {
      if (watch->peer_gone) co_return api::BodySource::State::kFailed;
      const auto state = src->next(out);
      if (state != api::BodySource::State::kPending) co_return state;
      co_await wakeup->timer.async_wait(kTupleAwaitable);
    }
  };

  auto state = co_await pull();
  if (state == api::BodySource::State::kFailed && !watch->peer_gone) {
    // Nothing was sent yet, so the client can still get a proper error.
    api::Response err = impl.api.error_response(src->error_code(), src->error(), path);
    co_await stop_watcher();
    src->finished(false, 0);
    co_return co_await write_simple(stream, err, version, keep_alive, false,
                                    impl.config.write_timeout);
  }

  if (!watch->peer_gone) {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, version};
    add_headers(res, r);
    // HTTP/1.0 has no chunked encoding: the body is the raw audio, ended by closing.
    if (!chunked) keep_alive = false;
    res.keep_alive(keep_alive);
    res.chunked(chunked);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    stream.expires_after(impl.config.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, sr, kTupleAwaitable);
    headers_sent = !ec;
  }

  while (headers_sent && !watch->peer_gone) {
    if (state == api::BodySource::State::kData) {
      stream.expires_after(impl.config.write_timeout);
      auto [ec, n] = chunked ? co_await net::async_write(
                                   stream, bhttp::make_chunk(net::buffer(out)), kTupleAwaitable)
                             : co_await net::async_write(stream, net::buffer(out), kTupleAwaitable);
      if (ec) break;
      sent += out.size();
      out.clear();
    } else if (state == api::BodySource::State::kEnd) {
      if (!chunked) {
        complete = true;
        break;
      }
      stream.expires_after(impl.config.write_timeout);
      auto [ec, n] = co_await net::async_write(stream, bhttp::make_chunk_last(), kTupleAwaitable);
      complete = !ec;
      break;
    } else {
      // Failed mid-stream: end without the last chunk, so the client sees an incomplete body.
      break;
    }
    state = co_await pull();
  }

  co_await stop_watcher();
  if (!complete) src->cancel();
  src->finished(complete, sent);
  co_return complete&& keep_alive && !watch->peer_gone;
}

// The decoded path of a request whose start line parsed, so that an error about its headers or
// body (a Content-Length over the limit is refused while the headers are read) takes the
// route's error shape (OpenAI's under /v1/); empty otherwise.
std::string parsed_path(const RequestParser& parser) {
  try {
    return parse_target(parser.get().target()).path;
  } catch (const Error&) {
    return {};
  }
}

api::Response parse_error_response(const api::Api& api, const beast::error_code& ec,
                                   const HttpConfig& config, const RequestParser& parser) {
  if (ec == bhttp::error::body_limit)
    return api.error_response(
        ErrorCode::kTooLarge,
        "request body too large (limit " + std::to_string(config.max_body_bytes) + " bytes)",
        parsed_path(parser));
  if (ec == bhttp::error::header_limit)
    return api.error_response(
        ErrorCode::kHeadersTooLarge,
        "request headers too large (limit " + std::to_string(config.max_header_bytes) + " bytes)");
  return api.error_response(ErrorCode::kMalformed, "malformed HTTP request: " + ec.message());
}

net::awaitable<void> session(HttpServer::Impl& impl, beast::tcp_stream stream) {
  const HttpConfig& config = impl.config;
  const std::string peer = peer_name(stream);
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    stream.expires_after(first ? config.read_timeout : config.idle_timeout);
    first = false;
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTupleAwaitable);
    if (!ec && parser.get()[bhttp::field::expect] == "100-continue") {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      std::tie(ec, std::ignore) =
          co_await net::async_write(stream, net::buffer(kContinue), kTupleAwaitable);
    }
    // A target that does not parse is answered once the body is read, so the connection
    // stays usable.
    Target target;
    std::optional<api::Response> target_error;
    if (!ec) {
      try {
        target = parse_target(parser.get().target());
      } catch (const Error& e) {
        target_error = impl.api.error_response(e.code(), e.what(), parser.get().target());
      }
    }
    const bool upload = !ec && !target_error &&
                        api::Api::streams_body(parser.get().method_string(), target.path,
                                               parser.get()[bhttp::field::content_type]);
    if (!ec && !upload && !parser.is_done())
      std::tie(ec, std::ignore) =
          co_await bhttp::async_read(stream, buffer, parser, kTupleAwaitable);
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == beast::error::timeout ||
        ec == net::error::operation_aborted)
      break;
    if (ec) {
      co_await write_simple(stream, parse_error_response(impl.api, ec, config, parser), 11, false,
                            false, config.write_timeout);
      break;
    }

    auto& req = parser.get();
    if (target_error) {
      if (!co_await write_simple(stream, *target_error, req.version(), req.keep_alive(),
                                 req.method() == bhttp::verb::head, config.write_timeout))
        break;
      continue;
    }
    if (beast::websocket::is_upgrade(req)) {
      api::HttpRequest upgrade{std::string(req.method_string()),
                               std::move(target.path),
                               std::move(target.params),
                               {},
                               {},
                               peer};
      auto opened = impl.api.open_websocket(upgrade);
      if (auto* ws = std::get_if<std::unique_ptr<api::WsSession>>(&opened)) {
        co_await run_websocket(std::move(stream), parser.release(), std::move(*ws),
                               impl.api.config().max_ws_message_bytes, config.write_timeout);
        co_return;
      }
      co_await write_simple(stream, std::get<api::Response>(opened), req.version(), false, false,
                            config.write_timeout);
      break;
    }
    api::HttpRequest request{std::string(req.method_string()),
                             std::move(target.path),
                             std::move(target.params),
                             std::move(req.body()),
                             std::string(req[bhttp::field::content_type]),
                             peer};
    if (upload) {
      // The body is text to speak, read while the audio streams back. The connection is not
      // reused afterwards: an upload refused early leaves its body unread.
      parser.body_limit(impl.api.config().max_text_chars * 4 + 4096);
      auto opened = impl.api.open_upload(request);
      if (auto* up = std::get_if<api::Upload>(&opened)) {
        co_await write_stream(impl, stream, buffer, up->response, request.path, req.version(),
                              false, &parser, std::move(up->sink));
      } else {
        co_await write_simple(stream, std::get<api::Response>(opened), req.version(), false, false,
                              config.write_timeout);
      }
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    api::Response response = impl.api.handle(request);
    const bool head_only = req.method() == bhttp::verb::head;
    bool keep_alive = req.keep_alive();
    if (response.stream && head_only) {
      response.stream->cancel();
      response.stream->finished(false, 0);
      response.stream.reset();
    }
    if (response.stream) {
      keep_alive = co_await write_stream(impl, stream, buffer, response, request.path,
                                         req.version(), keep_alive);
    } else {
      keep_alive = co_await write_simple(stream, response, req.version(), keep_alive, head_only,
                                         config.write_timeout);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      obs::log_debug("peer={} {} {} status={} bytes={} total={:.1f}ms", peer, request.method,
                     std::string_view(request.path).substr(0, 200), response.status,
                     response.body.size(), ms);
    }
    if (!keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept_loop(HttpServer::Impl& impl) {
  for (;;) {
    auto [ec, socket] =
        co_await impl.acceptor.async_accept(net::make_strand(impl.ioc), kTupleAwaitable);
    if (ec == net::error::operation_aborted || !impl.acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off briefly instead of spinning.
      obs::log_warn("accept failed: {}", ec.message());
      net::steady_timer t(impl.ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(kTupleAwaitable);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // Audio is sent much faster than it plays; a bounded kernel buffer keeps a client that
    // stops reading from parking megabytes in the kernel (Linux grows it to 4 MiB by default).
    socket.set_option(net::socket_base::send_buffer_size(256 * 1024), ec);
    auto ex = socket.get_executor();
    net::co_spawn(ex, session(impl, beast::tcp_stream(std::move(socket))),
                  log_exception("connection", [](bool) {}));
  }
}

}  // namespace

HttpServer::HttpServer(api::Api& api, HttpConfig config)
    : impl_(std::make_unique<Impl>(api, std::move(config))) {}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
  const auto address = net::ip::make_address(impl_->config.host);
  const tcp::endpoint endpoint(address, impl_->config.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
}

std::uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run() {
  impl_->signals.async_wait([this](const beast::error_code& ec, int sig) {
    if (ec) return;
    obs::log_info("signal {}: shutting down", sig);
    stop();
  });
  net::co_spawn(impl_->ioc, accept_loop(*impl_), log_exception("accept loop", [](bool) {}));
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->config.threads; ++i)
    threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::stop() {
  net::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->signals.cancel(ignored);
    impl_->ioc.stop();
  });
}

}  // namespace lector::http
