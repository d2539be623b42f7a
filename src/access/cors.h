#pragma once
// The CORS allowlist (--cors-origin): which web pages may call the server from a browser.
// An entry is "*" (any origin), "SCHEME://HOST" (that host on any port) or
// "SCHEME://HOST:PORT" (exactly). Without entries: http://localhost, http://127.0.0.1 and
// http://[::1] on any port. A page served by the server itself (Origin equal to the request's
// Host) is always allowed.
//
// Threading: immutable after construction.

#include <string>
#include <string_view>
#include <vector>

namespace lector::access {

class CorsPolicy {
 public:
  // Throws std::invalid_argument naming an entry that is not an origin.
  explicit CorsPolicy(const std::vector<std::string>& origins);
  // `origin` as the browser sent it; `host` the request's Host header.
  bool allows(std::string_view origin, std::string_view host) const;

 private:
  struct Entry {
    std::string scheme_host;  // "http://localhost", lower-case
    std::string port;         // empty: any port
  };
  bool any_ = false;
  std::vector<Entry> entries_;
};

}  // namespace lector::access
