#pragma once
// A daily budget of audio seconds, reset at midnight UTC. In memory: each server instance
// counts its own (README "Keys and limits").
//
// Threading: any thread (one mutex).

#include <chrono>
#include <mutex>

namespace lector::access {

using SystemClock = std::chrono::system_clock;

class DailyQuota {
 public:
  explicit DailyQuota(double seconds_per_day) : limit_(seconds_per_day) {}
  // 0 while audio may still be charged today; otherwise the whole seconds until the next
  // midnight UTC (at least 1), for Retry-After.
  int retry_after(SystemClock::time_point now) const;
  void add(double seconds, SystemClock::time_point now);
  double used(SystemClock::time_point now) const;
  double limit() const { return limit_; }

 private:
  static long long day_of(SystemClock::time_point t);
  void roll(SystemClock::time_point now) const;  // under mu_

  const double limit_;
  mutable std::mutex mu_;
  mutable long long day_ = -1;
  mutable double used_ = 0;
};

}  // namespace lector::access
