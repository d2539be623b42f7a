#pragma once
// Starting and stopping worker processes. The scheduler owns the handles; nothing here is
// shared between threads.

#include <sys/types.h>

#include <string>

namespace lector::sched {

struct SpawnedWorker {
  pid_t pid = -1;
  int fd = -1;  // our end of the socketpair, non-blocking, close-on-exec
};

// Starts `exe worker --engine ENGINE --fd 3` with its end of a fresh socketpair as fd 3.
// Uses posix_spawn: the server is never forked (espeak-ng hangs in a child forked after init).
// Throws lector::Error(kUnavailable) when the process cannot be started.
SpawnedWorker spawn_worker(const std::string& exe, const std::string& engine);

// SIGKILLs the worker (if still running), reaps it and closes the socket.
void stop_worker(SpawnedWorker& worker);

// Path of the running executable, for spawning workers of the same binary.
std::string self_executable();

}  // namespace lector::sched
