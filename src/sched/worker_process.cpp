#include "sched/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "core/error.h"

extern char** environ;

namespace lector::sched {

SpawnedWorker spawn_worker(const std::string& exe, const std::string& engine,
                           const SpawnSpec& spec) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw Error(ErrorCode::kUnavailable, "socketpair: " + std::system_category().message(errno));
  // dup2 onto 3 clears close-on-exec, unless the child's end already is fd 3; move it away.
  int child_fd = fds[1];
  if (child_fd == 3) {
    child_fd = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    ::close(fds[1]);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_fd, 3);
  // Descriptors the server opened without close-on-exec (Asio's accepted sockets are such)
  // would otherwise leak into the worker.
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Workers start with default signal dispositions and an empty mask, whatever the server set.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = {exe, "worker", "--engine", engine, "--fd", "3"};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_owned = spec.env;
  std::vector<char*> envp;
  const std::size_t prefix = std::strlen(kRemoteKeyEnvPrefix);
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, kRemoteKeyEnvPrefix, prefix) != 0) envp.push_back(*e);
  for (std::string& e : env_owned) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child_fd);
  if (rc != 0) {
    ::close(fds[0]);
    throw Error(ErrorCode::kUnavailable,
                "posix_spawn " + exe + ": " + std::system_category().message(rc));
  }
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return {pid, fds[0]};
}

void kill_worker(const SpawnedWorker& worker) {
  if (worker.pid > 0) ::kill(worker.pid, SIGKILL);
}

void stop_worker(SpawnedWorker& worker) {
  if (worker.pid > 0) {
    ::kill(worker.pid, SIGKILL);
    while (::waitpid(worker.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    worker.pid = -1;
  }
  if (worker.fd >= 0) {
    ::close(worker.fd);
    worker.fd = -1;
  }
}

std::string self_executable() {
  std::vector<char> buf(4096);
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) throw Error(ErrorCode::kInternal, "cannot read /proc/self/exe");
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace lector::sched
