#pragma once
// SIGHUP as a reload request: while a SighupWatcher lives, each SIGHUP runs its callback on a
// thread of its own (the signal handler only writes a byte to a pipe, which is all a handler
// may safely do). One instance per process.

#include <functional>
#include <thread>

namespace lector::app {

class SighupWatcher {
 public:
  // Installs the handler; throws std::system_error when the pipe cannot be made.
  explicit SighupWatcher(std::function<void()> on_hup);
  // Restores the previous handling of SIGHUP and joins the thread.
  ~SighupWatcher();
  SighupWatcher(const SighupWatcher&) = delete;
  SighupWatcher& operator=(const SighupWatcher&) = delete;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::thread thread_;
};

}  // namespace lector::app
