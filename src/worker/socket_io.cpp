#include "worker/socket_io.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace lector::worker {

bool send_all(int fd, const void* a, std::size_t a_len, const void* b, std::size_t b_len) {
  iovec iov[2] = {{const_cast<void*>(a), a_len}, {const_cast<void*>(b), b_len}};
  int count = b_len > 0 ? 2 : 1;
  iovec* cur = iov;
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = cur;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<std::size_t>(n);
    while (count > 0 && left >= cur->iov_len) {
      left -= cur->iov_len;
      ++cur;
      --count;
    }
    if (count > 0) {
      cur->iov_base = static_cast<char*>(cur->iov_base) + left;
      cur->iov_len -= left;
    }
  }
  return true;
}

}  // namespace lector::worker
