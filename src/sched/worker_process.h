#pragma once
// Starting and stopping worker processes: the operating-system part of the worker pool.
// The pool owns the handles; nothing here is shared between threads.

#include <sys/types.h>

#include <string>
#include <vector>

namespace lector::sched {

// How to start the workers of one engine beyond `worker --engine NAME --fd 3`: a remote
// engine's URL and model go in `args`, its key in `env`, since a command line is visible to
// every user in `ps` and a process's environment only to its owner.
struct SpawnSpec {
  std::vector<std::string> args;  // appended to the command line
  std::vector<std::string> env;   // "NAME=value", added to the server's environment
};

// Environment variables that may hold a remote engine's key (LECTOR_REMOTE_KEY,
// LECTOR_REMOTE_KEY_<NAME>) start with this; workers never inherit them from the server, they
// get only the key of their own engine through SpawnSpec::env.
inline constexpr const char* kRemoteKeyEnvPrefix = "LECTOR_REMOTE_KEY";

struct SpawnedWorker {
  pid_t pid = -1;  // -1 for an in-process stand-in (tests): nothing to kill or reap
  int fd = -1;     // our end of the socketpair, non-blocking, close-on-exec
};

// Starts `exe worker --engine ENGINE --fd 3 [spec.args]` with its end of a fresh socketpair as fd 3
// and nothing else open but stdin, stdout and stderr: every other descriptor (listening socket,
// client connections, other workers' sockets) is closed at spawn, whether or not it was
// opened close-on-exec, so a hung worker never keeps a port or a client alive.
// Uses posix_spawn: the server is never forked (espeak-ng hangs in a child forked after init).
// Throws lector::Error(kUnavailable) when the process cannot be started.
SpawnedWorker spawn_worker(const std::string& exe, const std::string& engine,
                           const SpawnSpec& spec = {});

// Sends SIGKILL to the worker (if it has a process); the socket stays open so the death is
// seen as end-of-file like any other.
void kill_worker(const SpawnedWorker& worker);

// SIGKILLs the worker (if still running), reaps it and closes the socket.
void stop_worker(SpawnedWorker& worker);

// Path of the running executable, for spawning workers of the same binary.
std::string self_executable();

}  // namespace lector::sched
