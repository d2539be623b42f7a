#include "sched/worker_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "obs/log.h"

namespace lector::sched {

const char* to_string(WorkerState state) noexcept {
  switch (state) {
    case WorkerState::kStarting:
      return "starting";
    case WorkerState::kIdle:
      return "idle";
    case WorkerState::kBusy:
      return "busy";
    case WorkerState::kCancelling:
      return "cancelling";
    case WorkerState::kUnavailable:
      return "unavailable";
    case WorkerState::kDead:
      return "dead";
  }
  return "dead";
}

WorkerJob* Worker::job(std::uint64_t job_id) {
  for (WorkerJob& j : jobs)
    if (j.job_id == job_id) return &j;
  return nullptr;
}

Worker::Clock::time_point Worker::next_deadline() const {
  if (state == WorkerState::kStarting) return deadline;
  Clock::time_point t = Clock::time_point::max();
  for (const WorkerJob& j : jobs) t = std::min(t, j.deadline);
  return t;
}

WorkerPool::WorkerPool(WorkerPoolConfig config, Spawner spawner, Listener& listener)
    : config_(config), spawner_(std::move(spawner)), listener_(listener) {}

WorkerPool::~WorkerPool() {
  stop_all();
}

void WorkerPool::add(const std::string& engine) {
  auto w = std::make_unique<Worker>();
  w->engine = engine;
  spawn(*w);
  workers_.push_back(std::move(w));
}

std::size_t WorkerPool::count(const std::string& engine) const {
  return static_cast<std::size_t>(std::count_if(
      workers_.begin(), workers_.end(), [&](const auto& w) { return w->engine == engine; }));
}

void WorkerPool::spawn(Worker& w) {
  w.in = worker::FrameBuffer();
  w.out.clear();
  w.jobs.clear();
  w.capacity = 1;
  w.unavailable.clear();
  try {
    w.proc = spawner_(w.engine);
    w.state = WorkerState::kStarting;
    w.deadline = Clock::now() + config_.startup_timeout;
  } catch (const std::exception& e) {
    obs::log_error("engine {}: cannot start worker: {}", w.engine, e.what());
    w.state = WorkerState::kDead;
    w.respawn_at = Clock::now() + config_.spawn_retry;
  }
}

void WorkerPool::poll_set(std::vector<pollfd>& fds, std::vector<Worker*>& polled) const {
  for (const auto& w : workers_) {
    if (w->proc.fd < 0) continue;
    const short events = static_cast<short>(POLLIN | (w->out.empty() ? 0 : POLLOUT));
    fds.push_back(pollfd{w->proc.fd, events, 0});
    polled.push_back(w.get());
  }
}

void WorkerPool::service(Worker& w, short revents) {
  if ((revents & POLLOUT) != 0 && !w.out.empty()) write(w);
  if (w.state != WorkerState::kDead && (revents & (POLLIN | POLLHUP | POLLERR)) != 0) read(w);
}

void WorkerPool::read(Worker& w) {
  // A bounded number of reads per wake-up, so one fast worker cannot starve the others; poll
  // reports the rest at once.
  for (int reads = 0; reads < 16; ++reads) {
    auto space = w.in.prepare();
    const ssize_t n = ::read(w.proc.fd, space.data(), space.size());
    if (n > 0) {
      w.in.commit(static_cast<std::size_t>(n));
      try {
        while (auto frame = w.in.next()) {
          listener_.on_frame(w, *frame);
          if (w.state == WorkerState::kDead) return;
        }
      } catch (const std::exception& e) {
        lose(w, e.what());
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    const std::string why = n == 0 ? "exited" : std::system_category().message(errno);
    lose(w, why.c_str());
    return;
  }
}

void WorkerPool::write(Worker& w) {
  std::size_t off = 0;
  while (off < w.out.size()) {
    const ssize_t n = ::send(w.proc.fd, w.out.data() + off, w.out.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // poll says when
    w.out.erase(0, off);
    const std::string why = n < 0 ? std::system_category().message(errno) : "socket closed";
    lose(w, why.c_str());
    return;
  }
  w.out.erase(0, off);
}

void WorkerPool::send(Worker& w, const std::string& frame) {
  w.out.append(frame);
  write(w);
}

void WorkerPool::tick(Clock::time_point now) {
  for (auto& w : workers_) {
    if (w->state == WorkerState::kDead) {
      if (w->respawn_at <= now) spawn(*w);
      continue;
    }
    if (w->state == WorkerState::kStarting) {
      if (w->deadline <= now) lose(*w, "did not start in time");
      continue;
    }
    for (const WorkerJob& j : w->jobs) {
      if (j.deadline > now) continue;
      lose(*w, j.cancelling ? "did not stop a cancelled job in time" : "missed its deadline",
           j.job_id);
      break;
    }
  }
}

Worker::Clock::time_point WorkerPool::next_timer() const {
  Clock::time_point t = Clock::time_point::max();
  for (const auto& w : workers_)
    t = std::min(t, w->state == WorkerState::kDead ? w->respawn_at : w->next_deadline());
  return t;
}

void WorkerPool::update_state(Worker& w) {
  if (!w.live()) return;
  const bool running =
      std::any_of(w.jobs.begin(), w.jobs.end(), [](const WorkerJob& j) { return !j.cancelling; });
  w.state = running          ? WorkerState::kBusy
            : w.jobs.empty() ? WorkerState::kIdle
                             : WorkerState::kCancelling;
}

void WorkerPool::start_job(Worker& w, const worker::SynthesizeJob& job, std::uint64_t request_id,
                           std::size_t segment, Clock::time_point deadline) {
  std::string frame;
  worker::encode(job, frame);
  w.jobs.push_back(WorkerJob{job.job_id, request_id, segment, deadline, false});
  update_state(w);
  send(w, frame);
}

void WorkerPool::cancel_job(Worker& w, std::uint64_t job_id) {
  WorkerJob* j = w.job(job_id);
  if (j == nullptr || j->cancelling) return;
  std::string frame;
  worker::encode(worker::Cancel{job_id}, frame);
  j->cancelling = true;
  j->deadline = std::min(j->deadline, Clock::now() + config_.cancel_grace);
  update_state(w);
  send(w, frame);
}

WorkerJob WorkerPool::job_finished(Worker& w, std::uint64_t job_id) {
  WorkerJob done;
  const auto it = std::find_if(w.jobs.begin(), w.jobs.end(),
                               [&](const WorkerJob& j) { return j.job_id == job_id; });
  if (it != w.jobs.end()) {
    done = *it;
    w.jobs.erase(it);
  }
  w.failures = 0;
  ++w.segments_done;
  update_state(w);
  return done;
}

void WorkerPool::lose(Worker& w, const char* why, std::uint64_t culprit) {
  if (w.state == WorkerState::kDead) return;
  obs::log_warn("engine {}: worker {} {}", w.engine, w.proc.pid, why);
  stop_worker(w.proc);
  w.state = WorkerState::kDead;
  w.out.clear();
  std::vector<WorkerJob> jobs = std::move(w.jobs);
  w.jobs.clear();
  ++w.restarts;
  // Back off only when workers die without doing any work (a broken engine), so a killed
  // worker comes back at once but a crash loop does not spin.
  const int f = std::min(w.failures, 6);
  w.respawn_at = Clock::now() + (f == 0 ? std::chrono::milliseconds(0)
                                        : std::chrono::milliseconds(100 << (f - 1)));
  ++w.failures;
  listener_.on_lost(w, std::move(jobs), culprit, why);
}

void WorkerPool::stop_all() {
  for (auto& w : workers_) {
    stop_worker(w->proc);
    w->state = WorkerState::kDead;
  }
}

}  // namespace lector::sched
