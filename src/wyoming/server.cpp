#include "wyoming/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "api/api.h"
#include "core/error.h"
#include "obs/log.h"
#include "wyoming/frame.h"
#include "wyoming/session.h"

namespace lector::wyoming {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;
constexpr auto kTupleAwaitable = net::as_tuple(net::use_awaitable);

class Connection;

struct WyomingServer::Impl {
  Impl(api::Api& a, WyomingConfig c) : api(a), config(std::move(c)) {}
  api::Api& api;
  const WyomingConfig config;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  bool started = false;

  // Live connections, so stop() can close them; each removes itself when it ends.
  std::mutex mu;
  std::map<const Connection*, std::weak_ptr<Connection>> connections;
};

namespace {

// The way from the scheduler's thread to a connection. The session's requests call wake() when
// audio is ready; the connection cuts the link when it ends, after which no call reaches it
// (cut() waits for a call in progress), so no handler is posted to a connection or an
// io_context that is gone.
class WakeLink {
 public:
  explicit WakeLink(std::function<void()> fn) : fn_(std::move(fn)) {}
  void wake() {
    std::lock_guard lock(mu_);
    if (fn_) fn_();
  }
  void cut() {
    std::lock_guard lock(mu_);
    fn_ = nullptr;
  }

 private:
  std::mutex mu_;
  std::function<void()> fn_;
};

std::string peer_name(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

// One client: a reader coroutine (bytes -> events -> session) and a writer coroutine (session
// -> frames -> socket) on the connection's strand. Owned by the two coroutines.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(WyomingServer::Impl& server, tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        peer_(peer_name(socket_)),
        wake_timer_(socket_.get_executor()),
        write_timer_(socket_.get_executor()),
        read_timer_(socket_.get_executor()),
        linger_timer_(socket_.get_executor()),
        session_(server.api, server.config.program, peer_) {
    wake_timer_.expires_at(net::steady_timer::time_point::max());
    linger_timer_.expires_at(net::steady_timer::time_point::max());
  }

  ~Connection() {
    link_->cut();
    std::lock_guard lock(server_.mu);
    server_.connections.erase(this);
  }

  void start() {
    auto self = shared_from_this();
    const std::weak_ptr<Connection> weak = self;
    const auto ex = socket_.get_executor();
    link_ = std::make_shared<WakeLink>([weak, ex] {
      net::post(ex, [weak] {
        if (auto c = weak.lock()) c->wake();
      });
    });
    session_.set_waker([link = link_] { link->wake(); });
    net::co_spawn(ex, reader(self), [peer = peer_](std::exception_ptr e) { log_failure(e, peer); });
    net::co_spawn(ex, writer(self), [peer = peer_](std::exception_ptr e) { log_failure(e, peer); });
  }

  // Server shutdown: every request cancelled, both coroutines end. Any thread.
  void stop() {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      self->session_.on_disconnect();
      self->close();
    });
  }

 private:
  static void log_failure(std::exception_ptr e, const std::string& peer) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      obs::log_error("wyoming peer={}: connection failed: {}", peer, ex.what());
    }
  }

  void wake() {
    wake_pending_ = true;
    wake_timer_.cancel();
  }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    wake_timer_.cancel();
    write_timer_.cancel();
    read_timer_.cancel();
    linger_timer_.cancel();
  }

  net::awaitable<void> reader(std::shared_ptr<Connection> /*self*/) {
    FrameDecoder decoder;
    std::string buf(16 * 1024, '\0');
    while (!stopping_) {
      read_timer_.expires_after(server_.config.idle_timeout);
      auto result = co_await (socket_.async_read_some(net::buffer(buf), kTupleAwaitable) ||
                              read_timer_.async_wait(kTupleAwaitable));
      if (stopping_) break;
      if (result.index() == 1) {
        // Nothing came for the idle timeout: a connection waiting for nothing is closed; one
        // whose answers are still being sent (or streamed text that may resume) is kept.
        if (!session_.idle()) continue;
        obs::log_debug("wyoming peer={}: idle, closing", peer_);
        session_.on_input_end();
        wake();
        break;
      }
      const auto [ec, n] = std::get<0>(result);
      if (ec) {
        // The client closed (or reset) its side: it is gone, and what it asked is cancelled at
        // once, as HTTP's disconnect watcher does. (A half-close cannot be told from a close
        // without writing, and a synthesis held up for long writes nothing.) After an error
        // the answer is already queued: the writer sends it if the client still reads.
        if (session_.input_open()) session_.on_disconnect();
        wake();
        break;
      }
      // After an error or the end of input, what still arrives is read and dropped, so that
      // closing the socket does not reset the connection before the client read our answer.
      if (!session_.input_open()) continue;
      decoder.feed(std::string_view(buf).substr(0, n));
      try {
        while (session_.input_open()) {
          std::optional<Event> event = decoder.next();
          if (!event) break;
          session_.on_event(std::move(*event));
        }
      } catch (const Error& e) {
        session_.on_frame_error(e);
      }
      wake();
    }
    reader_done_ = true;
    linger_timer_.cancel();
  }

  net::awaitable<void> writer(std::shared_ptr<Connection> /*self*/) {
    std::string out;
    while (!stopping_) {
      wake_pending_ = false;
      out.clear();
      session_.next_output(out);
      if (!out.empty()) {
        write_timer_.expires_after(server_.config.write_timeout);
        auto result = co_await (net::async_write(socket_, net::buffer(out), kTupleAwaitable) ||
                                write_timer_.async_wait(kTupleAwaitable));
        if (stopping_) break;
        if (result.index() == 1 || std::get<0>(std::get<0>(result))) {
          obs::log_info(
              "wyoming peer={}: {}, closing", peer_,
              result.index() == 1 ? "audio left unread past --write-timeout" : "write failed");
          session_.on_disconnect();
          break;
        }
        continue;
      }
      if (session_.done()) break;
      if (wake_pending_) continue;
      wake_timer_.expires_at(session_.deadline());
      co_await wake_timer_.async_wait(kTupleAwaitable);
    }
    if (!stopping_) {
      // Our side is done: send FIN after the last answer, give the client a moment to read it
      // and close, then close.
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      if (!reader_done_) {
        linger_timer_.expires_after(std::chrono::seconds(2));
        co_await linger_timer_.async_wait(kTupleAwaitable);
      }
    }
    close();
  }

  WyomingServer::Impl& server_;
  tcp::socket socket_;
  const std::string peer_;
  net::steady_timer wake_timer_;    // the writer waits on it for output
  net::steady_timer write_timer_;   // --write-timeout of one write
  net::steady_timer read_timer_;    // idle timeout of one read
  net::steady_timer linger_timer_;  // after our FIN, until the client closes
  Session session_;
  std::shared_ptr<WakeLink> link_ = std::make_shared<WakeLink>(nullptr);
  bool wake_pending_ = false;
  bool stopping_ = false;
  bool reader_done_ = false;
};

namespace {

net::awaitable<void> accept_loop(WyomingServer::Impl& impl) {
  for (;;) {
    auto [ec, socket] =
        co_await impl.acceptor.async_accept(net::make_strand(impl.ioc), kTupleAwaitable);
    if (ec == net::error::operation_aborted || !impl.acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off briefly instead of spinning.
      obs::log_warn("wyoming: accept failed: {}", ec.message());
      net::steady_timer t(impl.ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(kTupleAwaitable);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // As for HTTP: a client that stops reading cannot park megabytes in the kernel.
    socket.set_option(net::socket_base::send_buffer_size(256 * 1024), ec);
    auto connection = std::make_shared<Connection>(impl, std::move(socket));
    {
      std::lock_guard lock(impl.mu);
      impl.connections.emplace(connection.get(), connection);
    }
    connection->start();
  }
}

}  // namespace

WyomingServer::WyomingServer(api::Api& api, WyomingConfig config)
    : impl_(std::make_unique<Impl>(api, std::move(config))) {}

WyomingServer::~WyomingServer() {
  stop();
}

void WyomingServer::listen() {
  const auto address = net::ip::make_address(impl_->config.host);
  const tcp::endpoint endpoint(address, impl_->config.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
}

std::uint16_t WyomingServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void WyomingServer::start() {
  impl_->started = true;
  net::co_spawn(impl_->ioc, accept_loop(*impl_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      obs::log_error("wyoming: accept loop failed: {}", ex.what());
    }
  });
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void WyomingServer::stop() {
  if (!impl_->started) return;
  impl_->started = false;
  net::post(impl_->ioc, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    std::vector<std::shared_ptr<Connection>> live;
    {
      // Not stopped under the lock: the last reference to a connection may go with `live`,
      // and its destructor takes the lock.
      std::lock_guard lock(impl_->mu);
      for (auto& [ptr, weak] : impl_->connections)
        if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) c->stop();
  });
  // Every connection ends within a pass of its strand, and the io_context runs out of work.
  impl_->thread.join();
}

}  // namespace lector::wyoming
