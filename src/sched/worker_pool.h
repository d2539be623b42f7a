#pragma once
// The worker processes of every engine: spawning, respawning with backoff, per-job deadlines,
// reading frames and writing without blocking.
//
// Threading: owned by the scheduler's loop thread; nothing here is thread-safe and nothing
// blocks (sends that do not fit in the socket wait in a per-worker outbox until poll()
// reports room).

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sched/worker_process.h"
#include "worker/protocol.h"

namespace lector::sched {

// kIdle, kBusy and kCancelling are a live worker's load: no job, some job running, only jobs
// being cancelled. kUnavailable: it said hello with a reason it cannot serve; it gets no jobs.
enum class WorkerState { kStarting, kIdle, kBusy, kCancelling, kUnavailable, kDead };
const char* to_string(WorkerState state) noexcept;

// One job a worker holds (one of its slots).
struct WorkerJob {
  using Clock = std::chrono::steady_clock;
  std::uint64_t job_id = 0;
  std::uint64_t request_id = 0;
  std::size_t segment = 0;
  Clock::time_point deadline = Clock::time_point::max();
  bool cancelling = false;
};

struct Worker {
  using Clock = std::chrono::steady_clock;
  std::string engine;
  SpawnedWorker proc;
  WorkerState state = WorkerState::kDead;
  worker::FrameBuffer in;
  std::string out;  // frames not yet written to the socket
  // Jobs it runs at once (Capabilities::parallel_jobs from its Hello; 1 until then).
  std::size_t capacity = 1;
  std::vector<WorkerJob> jobs;  // at most `capacity`
  std::string unavailable;      // its Hello's reason, when state is kUnavailable
  Clock::time_point deadline = Clock::time_point::max();  // of its start-up
  Clock::time_point respawn_at{};
  int failures = 0;  // consecutive starts that never completed a job
  std::uint64_t segments_done = 0;
  std::uint64_t restarts = 0;

  bool live() const {
    return state != WorkerState::kDead && state != WorkerState::kStarting &&
           state != WorkerState::kUnavailable;
  }
  bool has_job() const { return !jobs.empty(); }
  bool has_free_slot() const { return live() && jobs.size() < capacity; }
  WorkerJob* job(std::uint64_t job_id);
  // The earliest deadline it must meet: start-up, or its jobs'.
  Clock::time_point next_deadline() const;
};

struct WorkerPoolConfig {
  std::chrono::milliseconds startup_timeout{15000};
  // A worker still busy this long after a Cancel is killed.
  std::chrono::milliseconds cancel_grace{2000};
  // How long a worker that cannot even be started waits before the next try.
  std::chrono::milliseconds spawn_retry{5000};
};

class WorkerPool {
 public:
  using Clock = Worker::Clock;
  // Starts a worker process for an engine (tests pass an in-process stand-in).
  using Spawner = std::function<SpawnedWorker(const std::string& engine)>;
  // What the pool reports to its owner, on the loop thread.
  struct Listener {
    virtual ~Listener() = default;
    virtual void on_frame(Worker& w, const worker::FrameView& frame) = 0;
    // The worker died, was killed or broke the protocol; every job it held is in `jobs`. When
    // it was killed for one job (a missed deadline or cancel grace), `culprit` is that job's
    // id and the others did nothing wrong; 0 when the fault cannot be pinned on one job. It
    // is respawned by the pool.
    virtual void on_lost(Worker& w, std::vector<WorkerJob> jobs, std::uint64_t culprit,
                         const char* why) = 0;
  };

  WorkerPool(WorkerPoolConfig config, Spawner spawner, Listener& listener);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Adds a worker of `engine` and starts it.
  void add(const std::string& engine);
  std::size_t count(const std::string& engine) const;
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }

  // Poll set: appends one entry per worker with a socket; `polled` gets the matching workers.
  void poll_set(std::vector<pollfd>& fds, std::vector<Worker*>& polled) const;
  // Reads and writes what poll reported for `w`.
  void service(Worker& w, short revents);
  // Respawns workers that are due and kills those past their deadline.
  void tick(Clock::time_point now);
  Clock::time_point next_timer() const;

  // Sends a job to a worker with a free slot; it must finish before `deadline`.
  void start_job(Worker& w, const worker::SynthesizeJob& job, std::uint64_t request_id,
                 std::size_t segment, Clock::time_point deadline);
  // Asks a worker to stop a running job; it is killed if the job has not ended within the
  // grace.
  void cancel_job(Worker& w, std::uint64_t job_id);
  // The job ended with Done or Error: its slot is free again. Returns what it was.
  WorkerJob job_finished(Worker& w, std::uint64_t job_id);
  // Treats the worker as lost (protocol violation, or a fault of job `culprit`): kills it and
  // tells the listener.
  void lose(Worker& w, const char* why, std::uint64_t culprit = 0);

  // Kills and reaps every worker.
  void stop_all();

 private:
  void spawn(Worker& w);
  void read(Worker& w);
  void write(Worker& w);
  void send(Worker& w, const std::string& frame);
  void update_state(Worker& w);

  WorkerPoolConfig config_;
  Spawner spawner_;
  Listener& listener_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace lector::sched
