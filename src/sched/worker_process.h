#pragma once
// Starting and stopping worker processes: the operating-system part of the worker pool.
// The pool owns the handles; nothing here is shared between threads.

#include <sys/types.h>

#include <string>

namespace lector::sched {

struct SpawnedWorker {
  pid_t pid = -1;  // -1 for an in-process stand-in (tests): nothing to kill or reap
  int fd = -1;     // our end of the socketpair, non-blocking, close-on-exec
};

// Starts `exe worker --engine ENGINE --fd 3` with its end of a fresh socketpair as fd 3 and
// nothing else open but stdin, stdout and stderr: every other descriptor (listening socket,
// client connections, other workers' sockets) is closed at spawn, whether or not it was
// opened close-on-exec, so a hung worker never keeps a port or a client alive.
// Uses posix_spawn: the server is never forked (espeak-ng hangs in a child forked after init).
// Throws lector::Error(kUnavailable) when the process cannot be started.
SpawnedWorker spawn_worker(const std::string& exe, const std::string& engine);

// Sends SIGKILL to the worker (if it has a process); the socket stays open so the death is
// seen as end-of-file like any other.
void kill_worker(const SpawnedWorker& worker);

// SIGKILLs the worker (if still running), reaps it and closes the socket.
void stop_worker(SpawnedWorker& worker);

// Path of the running executable, for spawning workers of the same binary.
std::string self_executable();

}  // namespace lector::sched
