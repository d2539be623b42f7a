#include "access/token_bucket.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lector::access {

double parse_rate(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view number = text.substr(0, slash);
  const std::string_view unit = slash == std::string_view::npos ? "min" : text.substr(slash + 1);
  double n = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || !(n > 0) ||
      n > 1e9)
    throw std::invalid_argument("'" + std::string(text) +
                                "': expected N/min, N/s or N/h with N a number above 0");
  if (unit == "min" || unit == "m") return n;
  if (unit == "s" || unit == "sec") return n * 60;
  if (unit == "h" || unit == "hour") return n / 60;
  throw std::invalid_argument("'" + std::string(text) + "': the unit must be s, min or h");
}

TokenBucket::TokenBucket(double per_minute, Clock::time_point now)
    : capacity_(per_minute), per_second_(per_minute / 60.0), tokens_(per_minute), updated_(now) {}

double TokenBucket::tokens_at(Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  return std::min(capacity_, tokens_ + std::max(0.0, elapsed) * per_second_);
}

int TokenBucket::take(Clock::time_point now) {
  tokens_ = tokens_at(now);
  updated_ = std::max(updated_, now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  const double wait = (1.0 - tokens_) / per_second_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

bool TokenBucket::full(Clock::time_point now) const {
  return tokens_at(now) >= capacity_;
}

RateLimiter::RateLimiter(double per_minute, std::size_t max_entries)
    : per_minute_(per_minute), max_entries_(max_entries) {}

int RateLimiter::take(std::string_view name, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(name));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_entries_) {
      // A full bucket is the state a new one starts in: forgetting it changes nothing.
      std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now); });
      // Still full of busy clients: forget them all rather than grow without bound (they
      // get a fresh burst, which the limit tolerates by design).
      if (buckets_.size() >= max_entries_) buckets_.clear();
    }
    it = buckets_.emplace(std::string(name), TokenBucket(per_minute_, now)).first;
  }
  return it->second.take(now);
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace lector::access
