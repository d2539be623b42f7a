#include "access/cors.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace lector::access {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Parsed {
  std::string scheme_host;
  std::string port;
};

// "scheme://host[:port]" with nothing after; host may be a bracketed IPv6 address.
std::optional<Parsed> parse_origin(std::string_view origin) {
  const std::string o = lower(origin);
  const auto sep = o.find("://");
  if (sep == std::string::npos || sep == 0) return std::nullopt;
  const std::string scheme = o.substr(0, sep);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string rest = o.substr(sep + 3);
  std::string port;
  const auto bracket = rest.rfind(']');
  const auto colon = rest.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
  }
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos) return std::nullopt;
  return Parsed{scheme + "://" + rest, port};
}

}  // namespace

CorsPolicy::CorsPolicy(const std::vector<std::string>& origins) {
  if (origins.empty()) {
    for (const char* host : {"http://localhost", "http://127.0.0.1", "http://[::1]"})
      entries_.push_back({host, ""});
    return;
  }
  for (const std::string& o : origins) {
    if (o == "*") {
      any_ = true;
      continue;
    }
    const auto parsed = parse_origin(o);
    if (!parsed)
      throw std::invalid_argument("'" + o +
                                  "' is not an origin (expected *, http://HOST or "
                                  "https://HOST:PORT, without a path)");
    entries_.push_back({parsed->scheme_host, parsed->port});
  }
}

bool CorsPolicy::allows(std::string_view origin, std::string_view host) const {
  if (any_) return true;
  const auto parsed = parse_origin(origin);
  if (!parsed) return false;
  // Same origin: the page came from this server, under whatever name the client used.
  if (!host.empty()) {
    const std::string h = lower(host);
    const std::string rest =
        parsed->port.empty() ? parsed->scheme_host : parsed->scheme_host + ":" + parsed->port;
    if (rest == "http://" + h || rest == "https://" + h) return true;
  }
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.scheme_host == parsed->scheme_host && (e.port.empty() || e.port == parsed->port);
  });
}

}  // namespace lector::access
