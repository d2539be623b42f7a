#include "access/quota.h"

#include <algorithm>

namespace lector::access {

long long DailyQuota::day_of(SystemClock::time_point t) {
  return std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
}

void DailyQuota::roll(SystemClock::time_point now) const {
  const long long day = day_of(now);
  if (day != day_) {
    day_ = day;
    used_ = 0;
  }
}

int DailyQuota::retry_after(SystemClock::time_point now) const {
  std::lock_guard lock(mu_);
  roll(now);
  if (used_ < limit_) return 0;
  const auto midnight = std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1);
  const auto left = std::chrono::ceil<std::chrono::seconds>(midnight - now).count();
  return static_cast<int>(std::max<long long>(1, left));
}

void DailyQuota::add(double seconds, SystemClock::time_point now) {
  std::lock_guard lock(mu_);
  roll(now);
  used_ += seconds;
}

double DailyQuota::used(SystemClock::time_point now) const {
  std::lock_guard lock(mu_);
  roll(now);
  return used_;
}

}  // namespace lector::access
