#include "app/sighup.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <system_error>

namespace lector::app {
namespace {

std::atomic<int> g_write_fd{-1};
struct sigaction g_previous {};

void on_signal(int) {
  const int saved = errno;
  const char byte = 'h';
  // A full pipe already holds a reload request: dropping this one loses nothing.
  [[maybe_unused]] const ssize_t n = ::write(g_write_fd.load(), &byte, 1);
  errno = saved;
}

}  // namespace

SighupWatcher::SighupWatcher(std::function<void()> on_hup) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::system_error(errno, std::generic_category(), "SIGHUP pipe");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  // The reader blocks; only the handler's end must never block.
  ::fcntl(read_fd_, F_SETFL, 0);
  g_write_fd.store(write_fd_);
  thread_ = std::thread([fd = read_fd_, on_hup = std::move(on_hup)] {
    char byte = 0;
    for (;;) {
      const ssize_t n = ::read(fd, &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || byte == 'q') return;
      on_hup();
    }
  });
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGHUP, &action, &g_previous);
}

SighupWatcher::~SighupWatcher() {
  ::sigaction(SIGHUP, &g_previous, nullptr);
  const char quit = 'q';
  // Blocking for this one write: the reader drains the pipe, so it cannot stay full.
  ::fcntl(write_fd_, F_SETFL, 0);
  [[maybe_unused]] const ssize_t n = ::write(write_fd_, &quit, 1);
  thread_.join();
  g_write_fd.store(-1);
  ::close(read_fd_);
  ::close(write_fd_);
}

}  // namespace lector::app
