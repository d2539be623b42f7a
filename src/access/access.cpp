#include "access/access.h"

#include <cmath>
#include <mutex>
#include <stdexcept>

#include "core/error.h"

namespace lector::access {

// One key's state: its request bucket and its day's audio. Charged by the scheduler's
// request handles (UsageMeter) on the connections' strands.
class AccessControl::Account final : public UsageMeter {
 public:
  explicit Account(const KeySpec& spec)
      : name_(spec.name),
        admin_(spec.admin),
        per_minute_(spec.requests_per_minute),
        quota_(spec.daily_audio_seconds) {
    if (per_minute_ > 0) bucket_.emplace(per_minute_, Clock::now());
  }

  const std::string& name() const { return name_; }
  bool admin() const { return admin_; }

  void take_request(Clock::time_point now) {
    if (!bucket_) return;
    int wait = 0;
    {
      std::lock_guard lock(mu_);
      wait = bucket_->take(now);
    }
    if (wait > 0)
      throw Error(ErrorCode::kRateLimited, "key '" + name_ + "' is over its limit of " +
                                               number(per_minute_) + " requests a minute")
          .with_retry_after(wait);
  }

  void check_at(SystemClock::time_point wall) const {
    if (quota_.limit() <= 0) return;
    const int wait = quota_.retry_after(wall);
    if (wait > 0)
      throw Error(ErrorCode::kQuotaExceeded, "key '" + name_ + "' has used its " +
                                                 number(quota_.limit()) +
                                                 " audio seconds for today (UTC)")
          .with_retry_after(wait);
  }

  void check() const override { check_at(SystemClock::now()); }

  void delivered(double seconds) noexcept override {
    if (quota_.limit() > 0) quota_.add(seconds, SystemClock::now());
  }

 private:
  static std::string number(double v) {
    if (v == std::floor(v) && v < 1e15) return std::to_string(static_cast<long long>(v));
    return std::to_string(v);
  }

  const std::string name_;
  const bool admin_;
  const double per_minute_;
  std::mutex mu_;
  std::optional<TokenBucket> bucket_;
  DailyQuota quota_;
};

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  authorization = trim(authorization);
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c | 0x20) != kScheme[i]) return std::nullopt;
  }
  const char sep = authorization[kScheme.size()];
  if (sep != ' ' && sep != '\t') return std::nullopt;
  std::string_view token = trim(authorization.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::vector<KeySpec> AccessControl::specs_for(const AccessConfig& config) const {
  std::vector<KeySpec> specs;
  for (std::size_t i = 0; i < config.api_keys.size(); ++i) {
    KeySpec k;
    k.name = i == 0 ? "default" : "default-" + std::to_string(i + 1);
    k.key = config.api_keys[i];
    k.admin = true;
    try {
      validate_key(k);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("--api-key: ") + e.what());
    }
    specs.push_back(std::move(k));
  }
  if (!config.keys_file.empty()) {
    try {
      for (KeySpec& k : load_keys_file(config.keys_file)) specs.push_back(std::move(k));
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("--keys-file: ") + e.what());
    }
  }
  return specs;
}

namespace {

KeyRing make_ring(const std::vector<KeySpec>& specs) {
  try {
    return KeyRing(specs);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--api-key/--keys-file: ") + e.what());
  }
}

CorsPolicy make_cors(const std::vector<std::string>& origins) {
  try {
    return CorsPolicy(origins);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--cors-origin: ") + e.what());
  }
}

}  // namespace

AccessControl::AccessControl(const AccessConfig& config)
    : ring_({}),
      auth_all_(config.auth_all),
      rate_limit_(config.rate_limit_per_minute),
      cors_(make_cors(config.cors_origins)) {
  const std::vector<KeySpec> specs = specs_for(config);
  ring_ = make_ring(specs);
  for (const KeySpec& k : specs) accounts_.push_back(std::make_shared<Account>(k));
  if (rate_limit_ > 0) per_client_ = std::make_unique<RateLimiter>(rate_limit_);
}

AccessControl::~AccessControl() = default;

std::vector<std::string> AccessControl::key_names() const {
  std::vector<std::string> names;
  for (const auto& a : accounts_) names.push_back(a->name());
  return names;
}

Grant AccessControl::admit(RouteKind kind, const Credentials& credentials, Clock::time_point now,
                           SystemClock::time_point wall) {
  if (kind == RouteKind::kProbe) return {};
  if (per_client_ && kind == RouteKind::kSynthesis) {
    const int wait = per_client_->take(credentials.client, now);
    if (wait > 0)
      throw Error(ErrorCode::kRateLimited, "too many requests from this address (limit " +
                                               std::to_string(static_cast<long long>(rate_limit_)) +
                                               " a minute)")
          .with_retry_after(wait);
  }
  const bool needs_key = keys_enabled() && (kind != RouteKind::kCatalog || auth_all_);
  if (!needs_key) return {};

  std::optional<std::string_view> token = bearer_token(credentials.authorization);
  if (!token && credentials.query_key && !credentials.query_key->empty())
    token = credentials.query_key;
  if (!token)
    throw Error(ErrorCode::kUnauthorized,
                std::string("an API key is required: send 'Authorization: Bearer KEY'") +
                    (credentials.query_key ? " or ?api_key=KEY" : ""));
  const std::optional<std::size_t> index = ring_.find(*token);
  if (!index) throw Error(ErrorCode::kUnauthorized, "invalid API key");
  Account& account = *accounts_[*index];
  if (kind == RouteKind::kAdmin && !account.admin())
    throw Error(ErrorCode::kForbidden, "key '" + account.name() +
                                           "' may not change the server's defaults (it needs "
                                           "admin = true in the keys file)");
  if (kind == RouteKind::kSynthesis) {
    account.take_request(now);
    account.check_at(wall);
  }
  return Grant{account.name(), accounts_[*index]};
}

}  // namespace lector::access
