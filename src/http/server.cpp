// The HTTP transport: listener (connection cap), sessions (deadlines, routing to api::Api,
// WebSocket hand-over), the chunked streaming writer and its disconnect watcher, and the drain
// on SIGTERM/SIGINT; bodies held whole (Range, complete=1) go out with their length. Kept whole,
// past ~450 lines, on purpose: Beast is slow to compile, so it stays in as few translation units as
// possible (docs/ARCHITECTURE.md); the pieces that need no Beast live beside it (stream_tracker,
// request_id, target).

#include "http/server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cctype>
#include <chrono>
#include <thread>
#include <vector>

#include "api/api.h"
#include "core/error.h"
#include "http/log_exception.h"
#include "http/request_id.h"
#include "http/stream_tracker.h"
#include "http/target.h"
#include "http/websocket.h"
#include "obs/log.h"

namespace lector::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto kTupleAwaitable = net::as_tuple(net::use_awaitable);
// How long the rest of a refused upload is read (and dropped) before the connection is closed.
constexpr auto kRefusedUploadGrace = std::chrono::seconds(1);

struct HttpServer::Impl {
  Impl(api::Api& a, HttpConfig c) : api(a), config(std::move(c)) {}
  api::Api& api;
  HttpConfig config;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::atomic<std::size_t> connections{0};  // sessions running (--max-connections)
  net::signal_set signals{ioc, SIGINT, SIGTERM};
  StreamTracker tracker;
  RequestIds ids;
  bool drain_started = false;        // signal handler only
  std::atomic<bool> cut_now{false};  // a second signal: cut at once
};

namespace {

// Wakes a coroutine waiting on `timer` from another thread (see BodySource::set_waker).
// `armed` is set by the coroutine before it looks for data and cleared by the first wake after
// it: a producer that pushes many pieces while the coroutine is busy writing posts nothing, and
// one waiting posts one wake, not one per piece (each post can wake a network thread).
struct Wakeup {
  explicit Wakeup(const net::any_io_executor& ex) : timer(ex) {
    timer.expires_at(net::steady_timer::time_point::max());
  }
  net::steady_timer timer;
  std::atomic<bool> armed{false};
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
    std::chrono::steady_clock::time_point refused{};
    while (!parser->is_done()) {
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, *parser, kTupleAwaitable);
      if (watch->stopping) co_return;
      if (ec) {
        if (ec == net::error::operation_aborted) co_return;
        peer_gone();
        // A refused upload that went on past the parser's body limit: the writer may be stuck
        // in a write the client, still sending, never reads (audio had started). Close, as
        // below.
        if (!accepting) {
          beast::error_code ignored;
          stream.socket().close(ignored);
        }
        co_return;
      }
      std::string& body = parser->get().body();
      if (accepting && !body.empty()) {
        accepting = upload->feed(body);
        if (!accepting) refused = std::chrono::steady_clock::now();
      }
      body.clear();
      // A refused upload (past --max-text-chars, bad UTF-8) whose client keeps sending: its
      // 400 has had time to go out, or cannot, because audio had started and the client,
      // busy sending, reads none of it. Close, so that neither side waits on the other until
      // a timeout while the rest of the body is read for nothing.
      if (!accepting && std::chrono::steady_clock::now() - refused > kRefusedUploadGrace) {
        peer_gone();
        beast::error_code ignored;
        stream.socket().close(ignored);
        co_return;
      }
    }
    if (accepting) upload->finish();
  }
  constexpr std::size_t kMaxPipelined = 64 * 1024;
  while (buffer.size() < kMaxPipelined) {
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTupleAwaitable);
    // Committed before the stopping check: a client that reuses the connection sends its next
    // request as soon as it has the last chunk, and the read may complete with it just as the
    // writer stops the watcher; dropping those bytes would leave the session waiting for a
    // request that already came.
    buffer.commit(n);
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
  }
}

template <typename Body>
void add_headers(bhttp::response<Body>& res, const api::Response& r) {
  res.set(bhttp::field::server, "lector");
  if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
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

// Streams a BodySource as a chunked response (raw, ended by closing, for HTTP/1.0), and fills
// `record` with how it ended. Returns whether the connection can be reused.
net::awaitable<bool> write_stream(HttpServer::Impl& impl, beast::tcp_stream& stream,
                                  beast::flat_buffer& buffer, api::Response& r,
                                  api::RequestRecord& record, unsigned version, bool keep_alive,
                                  RequestParser* parser = nullptr,
                                  std::shared_ptr<api::UploadSink> upload = nullptr) {
  auto ex = co_await net::this_coro::executor;
  auto src = r.stream;
  auto wakeup = std::make_shared<Wakeup>(ex);
  src->set_waker([wakeup, ex] {
    if (wakeup->armed.exchange(false)) net::post(ex, [wakeup] { wakeup->timer.cancel(); });
  });

  auto watch = std::make_shared<Watch>(ex);
  // At the drain deadline the stream ends as if the client had left, and its socket closes.
  // Posted to this strand, so it may run after the stream ended: then `alive` is false.
  struct CutState {
    bool alive = true;
    bool cut = false;
  };
  auto cut_state = std::make_shared<CutState>();
  TrackedStream tracked(
      impl.tracker, [] {},
      [=, &stream] {
        net::post(ex, [=, &stream] {
          if (!cut_state->alive) return;
          cut_state->cut = true;
          watch->peer_gone = true;
          if (upload) upload->abort();
          src->cancel();
          wakeup->timer.cancel();
          beast::error_code ignored;
          stream.socket().close(ignored);
        });
      });
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
  // The end of the stream for the record, however it came.
  auto finish = [&](int status, api::RequestEnd end, std::size_t bytes) {
    cut_state->alive = false;
    record.status = status;
    record.end = end;
    record.bytes = bytes;
    src->describe(record);
  };

  std::string out;
  std::size_t sent = 0;
  bool complete = false;
  bool headers_sent = false;
  beast::error_code write_error;
  const bool chunked = version >= 11;

  // Pulls the next piece of body, waiting while the source has nothing yet. Once the client is
  // gone the source was cancelled and is not asked again.
  auto pull = [&]() -> net::awaitable<api::BodySource::State> {
    for (;;) {
      if (watch->peer_gone) co_return api::BodySource::State::kFailed;
      // Armed before the look: data pushed after next() found none sees the flag and posts a
      // wake, which runs on this strand only once the wait below has started.
      wakeup->armed.store(true);
      const auto state = src->next(out);
      if (state != api::BodySource::State::kPending) {
        wakeup->armed.store(false);
        co_return state;
      }
      co_await wakeup->timer.async_wait(kTupleAwaitable);
    }
  };

  auto state = co_await pull();
  if (state == api::BodySource::State::kFailed && !watch->peer_gone) {
    // Nothing was sent yet, so the client can still get a proper error.
    api::Response err = impl.api.error_response(src->error_code(), src->error(), record.route);
    err.headers.emplace_back("X-Request-Id", record.id);
    co_await stop_watcher();
    finish(err.status, api::RequestEnd::kComplete, err.body.size());
    record.error = err.error;
    co_return co_await write_simple(stream, err, version, keep_alive, false,
                                    impl.config.write_timeout);
  }

  if (state == api::BodySource::State::kData && !watch->peer_gone) {
    if (auto held = src->held()) {
      // A body held whole (complete=1, a Range request): one piece, sent with its length and
      // its own status.
      api::Response whole;
      whole.status = held->status;
      whole.content_type = held->content_type.empty() ? r.content_type : held->content_type;
      whole.headers = r.headers;
      whole.headers.insert(whole.headers.end(), held->headers.begin(), held->headers.end());
      whole.body = std::move(out);
      co_await stop_watcher();
      finish(whole.status, api::RequestEnd::kComplete, whole.body.size());
      record.error = held->error;
      co_return co_await write_simple(stream, whole, version, keep_alive, false,
                                      impl.config.write_timeout);
    }
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
    std::tie(write_error, std::ignore) =
        co_await bhttp::async_write_header(stream, sr, kTupleAwaitable);
    headers_sent = !write_error;
  }

  while (headers_sent && !watch->peer_gone) {
    if (state == api::BodySource::State::kData) {
      stream.expires_after(impl.config.write_timeout);
      // Not one conditional expression: GCC 12 loses the chunk's temporary header across a
      // co_await inside `?:`, sending the data without its chunk size.
      if (chunked) {
        const auto chunk = bhttp::make_chunk(net::buffer(out));
        std::tie(write_error, std::ignore) =
            co_await net::async_write(stream, chunk, kTupleAwaitable);
      } else {
        std::tie(write_error, std::ignore) =
            co_await net::async_write(stream, net::buffer(out), kTupleAwaitable);
      }
      if (write_error) break;
      sent += out.size();
      out.clear();
    } else if (state == api::BodySource::State::kEnd) {
      if (!chunked) {
        complete = true;
        break;
      }
      stream.expires_after(impl.config.write_timeout);
      std::tie(write_error, std::ignore) =
          co_await net::async_write(stream, bhttp::make_chunk_last(), kTupleAwaitable);
      complete = !write_error;
      break;
    } else {
      // Failed mid-stream: end without the last chunk, so the client sees an incomplete body.
      break;
    }
    state = co_await pull();
  }

  co_await stop_watcher();
  if (!complete) src->cancel();
  if (complete) {
    finish(200, api::RequestEnd::kComplete, sent);
  } else if (cut_state->cut) {
    finish(503, api::RequestEnd::kShutdown, sent);
  } else if (write_error == beast::error::timeout) {
    finish(499, api::RequestEnd::kWriteTimeout, sent);
  } else if (watch->peer_gone || write_error || !headers_sent) {
    finish(499, api::RequestEnd::kClientGone, sent);
  } else {
    finish(500, api::RequestEnd::kFailed, sent);
    record.error = src->error_code();
  }
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

// The request's headers for api/ (names lower-case).
std::vector<std::pair<std::string, std::string>> header_list(
    const bhttp::request<bhttp::string_body>& req) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

// Counts a session in Impl::connections for as long as it lives, or until release().
struct ConnectionSlot {
  explicit ConnectionSlot(std::atomic<std::size_t>& n) : count(n) {}
  ~ConnectionSlot() { release(); }
  void release() {
    if (held) count.fetch_sub(1);
    held = false;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  std::atomic<std::size_t>& count;
  bool held = true;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Writes a whole response, with the request's id, and records it.
net::awaitable<bool> answer(HttpServer::Impl& impl, beast::tcp_stream& stream,
                            api::Response response, api::RequestRecord& record, unsigned version,
                            bool keep_alive, bool head_only) {
  response.headers.emplace_back("X-Request-Id", record.id);
  record.status = response.status;
  record.error = response.error;
  record.bytes = head_only ? 0 : response.body.size();
  co_return co_await write_simple(stream, response, version, keep_alive, head_only,
                                  impl.config.write_timeout);
}

// Ends a connection whose client may still be sending (a refused connection, a request
// answered before its body was read): closing with its bytes unread would reset the connection,
// and the client could lose the answer before reading it. So the send side is shut and what
// comes is read and dropped for up to a second, until the client closes its side.
net::awaitable<void> close_unread(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(1));
  std::array<char, 16 * 1024> sink;
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), kTupleAwaitable);
    if (ec) break;
  }
}

net::awaitable<void> session(HttpServer::Impl& impl, beast::tcp_stream stream) {
  ConnectionSlot slot(impl.connections);
  const HttpConfig& config = impl.config;
  const std::string peer = peer_name(stream);
  beast::flat_buffer buffer;
  bool first = true;
  bool unread_request = false;  // answered before its body was read: see close_unread
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    if (!first && buffer.size() == 0) {
      // Keep-alive: the next request may take up to the idle timeout to start; from its first
      // byte, its headers get the header timeout like any other.
      stream.expires_after(config.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTupleAwaitable);
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    // The deadline covers the whole head, however it trickles in: a client sending a byte a
    // second is cut off when it passes, while other connections go on (each is a coroutine).
    stream.expires_after(config.header_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTupleAwaitable);
    if (!ec) stream.expires_after(config.read_timeout);
    const auto started = std::chrono::steady_clock::now();
    if (!ec && parser.get()[bhttp::field::expect] == "100-continue") {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      std::tie(ec, std::ignore) =
          co_await net::async_write(stream, net::buffer(kContinue), kTupleAwaitable);
    }
    // One record per request, whatever its fate: the access log line and the metrics.
    api::RequestRecord record;
    record.id = impl.ids.accept(parser.get()["X-Request-Id"]);
    record.method = std::string(parser.get().method_string());
    record.peer = peer;
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
    record.route = target.path;
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
      co_await answer(impl, stream, parse_error_response(impl.api, ec, config, parser), record, 11,
                      false, false);
      record.total_seconds = seconds_since(started);
      impl.api.request_done(record);
      unread_request = true;
      break;
    }

    auto& req = parser.get();
    const bool head_only = req.method() == bhttp::verb::head;
    // While the server drains, every answer closes its connection, so clients and load
    // balancers move on.
    bool keep_alive = req.keep_alive() && !impl.tracker.draining();
    if (target_error) {
      keep_alive = co_await answer(impl, stream, std::move(*target_error), record, req.version(),
                                   keep_alive, head_only);
      record.total_seconds = seconds_since(started);
      impl.api.request_done(record);
      if (!keep_alive) break;
      continue;
    }
    api::HttpRequest request;
    request.method = std::string(req.method_string());
    request.path = std::move(target.path);
    request.params = std::move(target.params);
    request.content_type = std::string(req[bhttp::field::content_type]);
    request.peer = peer;
    request.id = record.id;
    request.headers = header_list(req);
    if (beast::websocket::is_upgrade(req)) {
      auto opened = impl.api.open_websocket(request);
      // The api checked the key (api/gate.cpp): its name goes into the log and the metrics.
      record.key_name = request.key_name;
      if (auto* ws = std::get_if<std::unique_ptr<api::WsSession>>(&opened)) {
        // The upgrade itself is not a request of its own in the log: its utterances are.
        co_await run_websocket(std::move(stream), parser.release(), std::move(*ws),
                               impl.api.config().max_ws_message_bytes, config.write_timeout,
                               impl.tracker, record.id);
        co_return;
      }
      co_await answer(impl, stream, std::move(std::get<api::Response>(opened)), record,
                      req.version(), false, false);
      record.total_seconds = seconds_since(started);
      impl.api.request_done(record);
      break;
    }
    request.body = std::move(req.body());
    if (upload) {
      // The body is text to speak, read while the audio streams back. The connection is not
      // reused afterwards: an upload refused early leaves its body unread.
      parser.body_limit(impl.api.config().max_text_chars * 4 + 4096);
      auto opened = impl.api.open_upload(request);
      record.key_name = request.key_name;
      if (auto* up = std::get_if<api::Upload>(&opened)) {
        up->response.headers.emplace_back("X-Request-Id", record.id);
        co_await write_stream(impl, stream, buffer, up->response, record, req.version(), false,
                              &parser, std::move(up->sink));
      } else {
        co_await answer(impl, stream, std::move(std::get<api::Response>(opened)), record,
                        req.version(), false, false);
      }
      record.total_seconds = seconds_since(started);
      impl.api.request_done(record);
      break;
    }
    api::Response response = impl.api.handle(request);
    record.key_name = request.key_name;
    if (response.stream && head_only) {
      response.stream->cancel();
      response.stream.reset();
    }
    if (response.stream) {
      response.headers.emplace_back("X-Request-Id", record.id);
      keep_alive =
          co_await write_stream(impl, stream, buffer, response, record, req.version(), keep_alive);
    } else {
      keep_alive = co_await answer(impl, stream, std::move(response), record, req.version(),
                                   keep_alive, head_only);
    }
    record.total_seconds = seconds_since(started);
    impl.api.request_done(record);
    if (!keep_alive) break;
  }
  // Given back before the client can see the connection end: a client that reconnects as soon
  // as it reads the end of a `Connection: close` response must not find its old connection
  // still counted (with another network thread accepting meanwhile, it was, now and then, and
  // got a 503 at the cap).
  slot.release();
  if (unread_request) {
    co_await close_unread(stream);
  } else {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

// Past --max-connections: a short 503 and the connection is closed, without a session.
net::awaitable<void> refuse(HttpServer::Impl& impl, beast::tcp_stream stream) {
  const api::Response r = impl.api.error_response(
      ErrorCode::kOverloaded, "too many connections (limit " +
                                  std::to_string(impl.config.max_connections) + "); retry later");
  co_await write_simple(stream, r, 11, false, false, std::chrono::seconds(2));
  co_await close_unread(stream);
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
    if (impl.connections.fetch_add(1) >= impl.config.max_connections) {
      impl.connections.fetch_sub(1);
      net::co_spawn(ex, refuse(impl, beast::tcp_stream(std::move(socket))),
                    log_exception("refused connection", [](bool) {}));
      continue;
    }
    // The session's ConnectionSlot gives the count back.
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

namespace {

// Shutdown: readiness off and new synthesis refused at once; running streams get until the
// drain deadline (or a second signal), then their sockets are closed; then the server stops.
// An idle server stops at once.
net::awaitable<void> drain(HttpServer& server, HttpServer::Impl& impl) {
  using Clock = std::chrono::steady_clock;
  impl.api.begin_drain();
  impl.tracker.begin_drain();
  const auto deadline = Clock::now() + impl.config.drain_timeout;
  net::steady_timer tick(impl.ioc);
  auto wait_until = [&](Clock::time_point until, bool stop_on_cut) -> net::awaitable<void> {
    while (impl.tracker.count() > 0 && Clock::now() < until && !(stop_on_cut && impl.cut_now)) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(kTupleAwaitable);
    }
  };
  if (impl.tracker.count() > 0)
    obs::log_info("draining: {} stream(s) running, deadline {} s", impl.tracker.count(),
                  impl.config.drain_timeout.count());
  co_await wait_until(deadline, true);
  if (const std::size_t left = impl.tracker.count(); left > 0) {
    obs::log_warn("drain deadline: cutting {} stream(s)", left);
    impl.api.begin_cut();
    impl.tracker.cut_all();
    // Cut streams unwind (and write their log lines) within a few loop turns.
    co_await wait_until(Clock::now() + std::chrono::seconds(2), false);
  }
  obs::log_info("drained; stopping");
  server.stop();
}

}  // namespace

void HttpServer::run() {
  std::function<void(const beast::error_code&, int)> on_signal;
  on_signal = [this, &on_signal](const beast::error_code& ec, int sig) {
    if (ec) return;
    if (!impl_->drain_started) {
      impl_->drain_started = true;
      obs::log_info("signal {}: draining, then shutting down (a second signal cuts at once)", sig);
      net::co_spawn(impl_->ioc, drain(*this, *impl_), log_exception("drain", [this](bool failed) {
                      if (failed) stop();
                    }));
    } else {
      obs::log_info("signal {} again: cutting running streams now", sig);
      impl_->cut_now = true;
    }
    impl_->signals.async_wait(on_signal);
  };
  impl_->signals.async_wait(on_signal);
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
