#pragma once
// Token buckets for request rate limits: one bucket per client address (--rate-limit) and one
// per API key (requests_per_minute in the keys file).
//
// Threading: TokenBucket is a plain value (its owner locks); RateLimiter may be called from
// any thread (one mutex around its map).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lector::access {

using Clock = std::chrono::steady_clock;

// "N/min" (also "N/s", "N/h", or a bare N a minute) as requests a minute, N > 0. Throws
// std::invalid_argument saying what is wrong.
double parse_rate(std::string_view text);

// `per_minute` requests a minute on average, bursts of up to `per_minute` at once. Starts full.
class TokenBucket {
 public:
  TokenBucket(double per_minute, Clock::time_point now);
  // Takes one token if there is one and returns 0; otherwise returns the whole seconds until
  // the next token (at least 1), for Retry-After.
  int take(Clock::time_point now);
  // Whether the bucket has refilled completely (an idle client: it can be forgotten).
  bool full(Clock::time_point now) const;

 private:
  double tokens_at(Clock::time_point now) const;

  double capacity_;
  double per_second_;
  double tokens_;
  Clock::time_point updated_;
};

// One bucket per name (a client address). Buckets of idle clients are dropped when the map
// grows past `max_entries`, so a scan from many addresses cannot grow it without bound.
class RateLimiter {
 public:
  explicit RateLimiter(double per_minute, std::size_t max_entries = 100000);
  // As TokenBucket::take for the bucket of `name`.
  int take(std::string_view name, Clock::time_point now);
  std::size_t size() const;

 private:
  double per_minute_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace lector::access
