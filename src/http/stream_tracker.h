#pragma once
// The connections a shutdown must wait for: streaming HTTP responses and WebSocket sessions.
// Each registers while it runs, with two callbacks: `on_drain` (shutdown began: a WebSocket
// with nothing in flight closes) and `cut` (the drain deadline passed: close the socket).
// Both are called from the thread that drains; they must post to their connection's strand.
//
// Threading: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace lector::http {

class StreamTracker {
 public:
  // Registers a connection; returns its token for remove(). When shutdown has already begun,
  // `on_drain` is called at once.
  std::uint64_t add(std::function<void()> on_drain, std::function<void()> cut);
  void remove(std::uint64_t token);
  std::size_t count() const;

  // Calls every on_drain, now and for connections added later.
  void begin_drain();
  bool draining() const { return draining_.load(); }
  // Calls every cut.
  void cut_all();

 private:
  struct Entry {
    std::function<void()> on_drain;
    std::function<void()> cut;
  };
  mutable std::mutex mu_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_ = 0;
  std::atomic<bool> draining_{false};
};

// Registered for its scope.
class TrackedStream {
 public:
  TrackedStream(StreamTracker& tracker, std::function<void()> on_drain, std::function<void()> cut)
      : tracker_(tracker), token_(tracker.add(std::move(on_drain), std::move(cut))) {}
  ~TrackedStream() { tracker_.remove(token_); }
  TrackedStream(const TrackedStream&) = delete;
  TrackedStream& operator=(const TrackedStream&) = delete;

 private:
  StreamTracker& tracker_;
  const std::uint64_t token_;
};

}  // namespace lector::http
