#include "engine/remote_http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#ifdef LECTOR_HAVE_OPENSSL
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif

namespace lector::engine::remote {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// How often a wait asks keep_going(); JobSink::keep_going is a flush and a poll(), cheap.
constexpr std::chrono::milliseconds kSlice{20};
constexpr std::size_t kReadBytes = 16 * 1024;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

std::string seconds(std::chrono::milliseconds ms) {
  const auto s = ms.count() / 1000;
  return ms.count() % 1000 == 0 ? std::to_string(s) + " s" : std::to_string(ms.count()) + " ms";
}

bool is_reset(const beast::error_code& ec) {
  return ec == net::error::connection_reset || ec == net::error::eof ||
         ec == net::error::broken_pipe || ec == bhttp::error::end_of_stream ||
         ec == net::error::connection_aborted
#ifdef LECTOR_HAVE_OPENSSL
         || ec == net::ssl::error::stream_truncated
#endif
      ;
}

}  // namespace

struct Exchange::Impl {
  enum class Wait { kDone, kStopped, kTimedOut };

  Endpoint endpoint;
  Timeouts timeouts;
  KeepGoing keep_going;
  net::io_context ioc;
  std::optional<beast::tcp_stream> plain;
#ifdef LECTOR_HAVE_OPENSSL
  std::optional<net::ssl::context> ssl_ctx;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
#endif
  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  Clock::time_point last_check = Clock::now();

  Impl(const Endpoint& e, Timeouts t, KeepGoing k)
      : endpoint(e), timeouts(t), keep_going(std::move(k)) {}

  beast::tcp_stream& lowest() {
#ifdef LECTOR_HAVE_OPENSSL
    if (tls) return beast::get_lowest_layer(*tls);
#endif
    return *plain;
  }

  // Calls f with the stream requests are written to: TLS or plain.
  template <class F>
  void with_stream(F&& f) {
#ifdef LECTOR_HAVE_OPENSSL
    if (tls) return f(*tls);
#endif
    f(*plain);
  }

  std::string where() const {
    return "upstream " + endpoint.origin();
  }

  // Runs handlers until `done`. Every kSlice, asks keep_going(); when it says stop, or when
  // `deadline` passes, `cancel` aborts the pending operation and its handler is drained.
  Wait wait(const bool& done, const std::function<void()>& cancel,
            Clock::time_point deadline = Clock::time_point::max()) {
    Wait result = Wait::kDone;
    while (!done) {
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_for(kSlice);
      if (done) break;
      const auto now = Clock::now();
      if (now >= deadline) {
        result = Wait::kTimedOut;
      } else if (keep_going && now - last_check >= kSlice) {
        last_check = now;
        if (!keep_going()) result = Wait::kStopped;
      }
      if (result != Wait::kDone) {
        cancel();
        if (ioc.stopped()) ioc.restart();
        while (!done) ioc.run_one();
        break;
      }
    }
    ioc.restart();
    return result;
  }

  void cancel_io() {
    lowest().cancel();
  }

  bool connect() {
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type results;
    beast::error_code ec;
    bool done = false;
    resolver.async_resolve(endpoint.host, endpoint.port,
                           [&](const beast::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             done = true;
                           });
    const Wait w = wait(
        done, [&] { resolver.cancel(); }, Clock::now() + timeouts.connect);
    if (w == Wait::kStopped) return false;
    if (w == Wait::kTimedOut)
      throw TransportError(
          TransportError::Kind::kTimeout,
          where() + ": cannot resolve its host within " + seconds(timeouts.connect));
    if (ec)
      throw TransportError(TransportError::Kind::kOther,
                           where() + ": cannot resolve its host: " + ec.message());

#ifdef LECTOR_HAVE_OPENSSL
    if (endpoint.tls) {
      ssl_ctx.emplace(net::ssl::context::tls_client);
      ssl_ctx->set_default_verify_paths();
      ssl_ctx->set_verify_mode(net::ssl::verify_peer);
      tls.emplace(ioc, *ssl_ctx);
      tls->set_verify_callback(net::ssl::host_name_verification(endpoint.host));
      // SNI: servers hosting several names pick the certificate by it.
      // (SSL_set_tlsext_host_name is a macro with a C cast around this call.)
      if (SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(endpoint.host.c_str())) != 1)
        throw TransportError(TransportError::Kind::kOther, where() + ": cannot set TLS SNI");
    } else {
      plain.emplace(ioc);
    }
#else
    plain.emplace(ioc);
#endif

    done = false;
    lowest().expires_after(timeouts.connect);
    lowest().async_connect(results, [&](const beast::error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (wait(done, [&] { cancel_io(); }) == Wait::kStopped) return false;
    if (ec == beast::error::timeout)
      throw TransportError(TransportError::Kind::kTimeout,
                           where() + ": no connection within " + seconds(timeouts.connect));
    if (ec == net::error::connection_refused || is_reset(ec))
      throw TransportError(TransportError::Kind::kRefused,
                           where() + ": connection refused (" + ec.message() + ")");
    if (ec)
      throw TransportError(TransportError::Kind::kOther,
                           where() + ": cannot connect: " + ec.message());

#ifdef LECTOR_HAVE_OPENSSL
    if (tls) {
      done = false;
      lowest().expires_after(timeouts.connect);
      tls->async_handshake(net::ssl::stream_base::client, [&](const beast::error_code& e) {
        ec = e;
        done = true;
      });
      if (wait(done, [&] { cancel_io(); }) == Wait::kStopped) return false;
      if (ec == beast::error::timeout)
        throw TransportError(TransportError::Kind::kTimeout,
                             where() + ": no TLS handshake within " + seconds(timeouts.connect));
      if (is_reset(ec))
        throw TransportError(TransportError::Kind::kRefused,
                             where() + ": connection reset during the TLS handshake");
      if (ec)
        throw TransportError(TransportError::Kind::kOther,
                             where() + ": TLS handshake failed: " + ec.message());
    }
#endif
    return true;
  }

  // Maps a failed write or read to a TransportError.
  [[noreturn]] void fail(const beast::error_code& ec, const char* doing) {
    if (ec == beast::error::timeout)
      throw TransportError(TransportError::Kind::kTimeout,
                           where() + ": silent for " + seconds(timeouts.idle) + " " + doing);
    if (is_reset(ec))
      throw TransportError(TransportError::Kind::kLost, where() + ": the connection was closed " +
                                                            doing + " (" + ec.message() + ")");
    throw TransportError(TransportError::Kind::kOther, where() + ": bad response: " + ec.message());
  }

  bool send(const Request& r) {
    bhttp::request<bhttp::string_body> req{
        r.method == "POST" ? bhttp::verb::post : bhttp::verb::get, endpoint.base_path + r.path, 11};
    const bool default_port = endpoint.port == (endpoint.tls ? "443" : "80");
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    const std::string host = v6 ? "[" + endpoint.host + "]" : endpoint.host;
    req.set(bhttp::field::host, default_port ? host : host + ":" + endpoint.port);
    req.set(bhttp::field::user_agent, "lector-remote");
    req.set(bhttp::field::connection, "close");
    if (!r.bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + r.bearer);
    if (!r.content_type.empty()) req.set(bhttp::field::content_type, r.content_type);
    req.body() = r.body;
    req.prepare_payload();

    beast::error_code ec;
    bool done = false;
    lowest().expires_after(timeouts.idle);
    with_stream([&](auto& stream) {
      bhttp::async_write(stream, req, [&](const beast::error_code& e, std::size_t) {
        ec = e;
        done = true;
      });
    });
    if (wait(done, [&] { cancel_io(); }) == Wait::kStopped) return false;
    if (ec) fail(ec, "while sending the request");

    parser.emplace();
    parser->body_limit(boost::none);
    parser->header_limit(kHeaderLimit);
    done = false;
    lowest().expires_after(timeouts.idle);
    with_stream([&](auto& stream) {
      bhttp::async_read_header(stream, buffer, *parser,
                               [&](const beast::error_code& e, std::size_t) {
                                 ec = e;
                                 done = true;
                               });
    });
    if (wait(done, [&] { cancel_io(); }) == Wait::kStopped) return false;
    if (ec) fail(ec, "before the answer");
    return true;
  }

  Read read_some(std::string& out) {
    for (;;) {
      if (parser->is_done()) {
        out.clear();
        return Read::kEnd;
      }
      out.resize(kReadBytes);
      auto& body = parser->get().body();
      body.data = out.data();
      body.size = out.size();
      beast::error_code ec;
      bool done = false;
      lowest().expires_after(timeouts.idle);
      with_stream([&](auto& stream) {
        bhttp::async_read_some(stream, buffer, *parser,
                               [&](const beast::error_code& e, std::size_t) {
                                 ec = e;
                                 done = true;
                               });
      });
      const Wait w = wait(done, [&] { cancel_io(); });
      out.resize(out.size() - body.size);
      if (w == Wait::kStopped) return Read::kStopped;
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) fail(ec, "in the middle of the answer");
      if (!out.empty()) return Read::kData;
    }
  }
};

Exchange::Exchange(const Endpoint& endpoint, Timeouts timeouts, KeepGoing keep_going)
    : impl_(std::make_unique<Impl>(endpoint, timeouts, std::move(keep_going))) {
#ifndef LECTOR_HAVE_OPENSSL
  if (endpoint.tls)
    throw TransportError(TransportError::Kind::kOther, "https:// is not supported by this build");
#endif
}

Exchange::~Exchange() {
  beast::error_code ignored;
  if (impl_->plain) impl_->plain->socket().close(ignored);
#ifdef LECTOR_HAVE_OPENSSL
  if (impl_->tls) beast::get_lowest_layer(*impl_->tls).socket().close(ignored);
#endif
}

bool Exchange::start(const Request& request) {
  return impl_->connect() && impl_->send(request);
}

int Exchange::status() const {
  return impl_->parser ? static_cast<int>(impl_->parser->get().result_int()) : 0;
}

Exchange::Read Exchange::read_some(std::string& out) {
  return impl_->read_some(out);
}

std::string Exchange::read_rest(std::size_t limit) {
  std::string all, piece;
  while (all.size() < limit && impl_->read_some(piece) == Read::kData) all += piece;
  if (all.size() > limit) all.resize(limit);
  return all;
}

bool tls_supported() noexcept {
#ifdef LECTOR_HAVE_OPENSSL
  return true;
#else
  return false;
#endif
}

}  // namespace lector::engine::remote
