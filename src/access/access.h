#pragma once
// Who may do what: API keys, per-key and per-address request rates, per-key daily audio
// quotas and the CORS allowlist, for every transport (the HTTP routes, the WebSockets). The
// transport asks admit() before it routes a request; the Grant it gets carries the key's name
// (for logs and metrics) and the key's UsageMeter (for the scheduler to charge audio to).
//
// Threading: every method may be called from any thread at once.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/cors.h"
#include "access/keys.h"
#include "access/quota.h"
#include "access/token_bucket.h"
#include "core/usage.h"

namespace lector::access {

struct AccessConfig {
  std::vector<std::string> api_keys;  // --api-key: the key "default" (then default-2, ...), admin
  std::string keys_file;              // --keys-file
  bool auth_all = false;              // --auth-all: catalog routes need a key too
  double rate_limit_per_minute = 0;   // --rate-limit, per client address; 0: off
  std::vector<std::string> cors_origins;  // --cors-origin; empty: the localhost default
};

// What a route is, for access: synthesis routes need a key when keys are configured, admin
// routes an admin key, catalog routes a key only with --auth-all, probes never.
enum class RouteKind { kSynthesis, kAdmin, kCatalog, kProbe };

struct Credentials {
  std::string_view authorization;             // the Authorization header as sent, or empty
  std::optional<std::string_view> query_key;  // ?api_key= (accepted on WebSocket upgrades)
  std::string_view client;                    // the client's address, for the per-address limit
};

struct Grant {
  std::string key_name;               // empty when the request carries no key
  std::shared_ptr<UsageMeter> usage;  // the key's account; null without a key
};

class AccessControl {
 public:
  // Reads the keys file. Throws std::runtime_error naming the flag (and file:line) at fault.
  explicit AccessControl(const AccessConfig& config);
  ~AccessControl();

  bool keys_enabled() const { return !ring_.empty(); }
  std::size_t key_count() const { return ring_.size(); }
  // The key names, in order, for the start-up log.
  std::vector<std::string> key_names() const;

  // Admits a request of `kind` or throws lector::Error: kUnauthorized (no key or a wrong
  // one), kForbidden (a non-admin key on an admin route), kRateLimited or kQuotaExceeded
  // (with the seconds to wait).
  Grant admit(RouteKind kind, const Credentials& credentials, Clock::time_point now = Clock::now(),
              SystemClock::time_point wall = SystemClock::now());

  const CorsPolicy& cors() const { return cors_; }

 private:
  class Account;

  std::vector<KeySpec> specs_for(const AccessConfig& config) const;

  KeyRing ring_;
  std::vector<std::shared_ptr<Account>> accounts_;  // same order as the ring
  bool auth_all_;
  double rate_limit_;
  std::unique_ptr<RateLimiter> per_client_;
  CorsPolicy cors_;
};

// The key in an Authorization header: the credentials of its "Bearer" scheme (any case),
// trimmed; nullopt for another scheme or none.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace lector::access
