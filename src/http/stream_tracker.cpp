#include "http/stream_tracker.h"

#include <vector>

namespace lector::http {

std::uint64_t StreamTracker::add(std::function<void()> on_drain, std::function<void()> cut) {
  std::function<void()> drain_now;
  std::uint64_t token = 0;
  {
    std::lock_guard lock(mu_);
    token = ++next_;
    if (draining_.load()) drain_now = on_drain;
    entries_.emplace(token, Entry{std::move(on_drain), std::move(cut)});
  }
  if (drain_now) drain_now();
  return token;
}

void StreamTracker::remove(std::uint64_t token) {
  std::lock_guard lock(mu_);
  entries_.erase(token);
}

std::size_t StreamTracker::count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void StreamTracker::begin_drain() {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard lock(mu_);
    draining_.store(true);
    for (const auto& [token, e] : entries_) calls.push_back(e.on_drain);
  }
  // Outside the lock: a callback may post work that registers or removes a connection.
  for (const auto& f : calls) f();
}

void StreamTracker::cut_all() {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard lock(mu_);
    for (const auto& [token, e] : entries_) calls.push_back(e.cut);
  }
  for (const auto& f : calls) f();
}

}  // namespace lector::http
