#pragma once
// Blocking writes to the server's socket, shared by the one-job loop (worker_main.cpp) and the
// job threads of a parallel worker (parallel_worker.cpp). Thread-safe as the socket is: callers
// that share the socket serialize whole frames themselves.

#include <cstddef>

namespace lector::worker {

// Sends `a` then `b` (which may be empty) with sendmsg, resuming after partial writes and
// signals. Returns false when the server is gone.
bool send_all(int fd, const void* a, std::size_t a_len, const void* b = nullptr,
              std::size_t b_len = 0);

}  // namespace lector::worker
