#pragma once
// The scheduler: requests split into segments, dispatched fairly to the worker pool, audio
// delivered in order, the synthesis cache, supervision of the workers.
//
// Threading: the scheduler owns one loop thread (started by start()), and that thread alone
// owns the workers, the requests and the cache; it blocks only in poll(). Public calls from
// other threads never touch that state: submit(), and a RequestHandle's append/close/cancel,
// enqueue a command and wake the loop through an eventfd. Engine and voice lookups read an
// immutable Catalog snapshot; stats() reads a snapshot the loop publishes. So a network thread
// never waits on a worker's socket or on the loop.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "sched/audio_stream.h"
#include "sched/cache.h"
#include "sched/catalog.h"
#include "sched/request.h"
#include "sched/request_handle.h"
#include "sched/worker_pool.h"

namespace lector::sched {

struct SchedulerConfig {
  // Pool size meaning "what the engine's workers announce" (Capabilities::default_workers):
  // one worker starts, and the pool grows to that size once it has said hello.
  static constexpr int kEngineDefault = -1;
  std::string worker_exe;                       // binary to run as `worker`
  std::map<std::string, int> workers;           // engine name -> pool size, or kEngineDefault
  std::map<std::string, SpawnSpec> spawn;       // engines whose workers need more (remote ones)
  std::size_t max_requests = 128;               // requests in flight before 503
  std::size_t lookahead = 4;                    // segments ahead of the head per request
  std::size_t max_buffered_bytes = 256u << 10;  // unread audio per request before throttling
  std::chrono::milliseconds segment_timeout{30000};
  std::chrono::milliseconds startup_timeout{15000};
  std::size_t cache_bytes = 64u << 20;  // synthesis cache budget; 0 disables it
};

struct WorkerStatus {
  std::string engine;
  int pid = -1;
  std::string state;  // starting, idle, busy, cancelling, unavailable, dead
  bool live() const { return state != "dead" && state != "starting" && state != "unavailable"; }
  std::uint64_t segments_done = 0;
  std::size_t capacity = 1;  // slots: jobs it runs at once (Capabilities::parallel_jobs)
  std::size_t busy = 0;      // slots holding a job (running or being cancelled)
  std::string unavailable;   // why it cannot serve, when state is "unavailable"
};

// Counts of one engine, kept by the loop.
struct EngineCounters {
  std::uint64_t segments_done = 0;    // synthesized by a worker
  std::uint64_t segments_cached = 0;  // served from the cache
  std::uint64_t worker_restarts = 0;  // workers lost (died, killed) and replaced
};

struct SchedulerStats {
  std::vector<WorkerStatus> workers;
  std::size_t requests_active = 0;  // handles alive: submitted and not yet over for the client
  std::size_t requests_held = 0;    // requests the loop still holds (cancelled ones until idle)
  std::size_t segments_queued = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t requests_rejected = 0;
  std::uint64_t requests_cancelled = 0;
  std::uint64_t requests_failed = 0;
  std::uint64_t requests_completed = 0;
  std::uint64_t segments_done = 0;
  std::uint64_t segments_retried = 0;
  std::uint64_t worker_restarts = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::size_t cache_bytes = 0;
  std::size_t cache_entries = 0;
  std::map<std::string, EngineCounters> engines;  // by engine name
};

class Scheduler final : private WorkerPool::Listener {
 public:
  // `spawner` starts a worker of an engine; by default `worker_exe worker --engine E` plus the
  // engine's SpawnSpec.
  explicit Scheduler(SchedulerConfig config, WorkerPool::Spawner spawner = {});
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Spawns the pools and waits until each engine's first worker has said hello (or the
  // startup timeout passed). Engines none of whose workers start are left out of the catalog.
  void start();
  // Stops the loop and the workers; requests still in flight fail.
  void stop();
  // From now on submit() refuses new requests (kShuttingDown); requests already submitted
  // run to their end. Any thread.
  void begin_drain() { draining_.store(true); }
  bool draining() const { return draining_.load(); }

  // The engines whose workers said hello: a snapshot, safe to keep.
  std::shared_ptr<const Catalog> catalog() const;
  // The engine, or nullptr; the pointer stays valid for the scheduler's lifetime.
  const EngineInfo* engine(const std::string& name) const;
  std::vector<EngineInfo> engines() const;
  std::vector<std::string> configured_engines() const;
  bool ready(const std::string& engine) const;  // has at least one live worker
  // Engines whose workers started but said they cannot serve (Engine::unavailable), with the
  // reason; they are not in the catalog.
  std::map<std::string, std::string> unavailable_engines() const;
  std::string unavailable_reason(const std::string& engine) const;  // empty when none

  // Queues a request. Throws Error(kShuttingDown) once begin_drain() ran,
  // Error(kUnavailable) for an engine that is not running,
  // Error(kBadParameter) for an unknown voice, Error(kOverloaded) when max_requests are in
  // flight. The handle cancels the request when it goes away before the end.
  RequestHandle submit(SynthesisRequest spec);
  // A snapshot the loop publishes on request, reflecting every command posted before the call
  // (waits for the loop's next pass; returns the last snapshot if the loop is not running).
  SchedulerStats stats() const;

 private:
  friend class RequestHandle;
  using Clock = std::chrono::steady_clock;

  struct SubmitCmd {
    std::uint64_t id;
    SynthesisRequest spec;
    std::shared_ptr<AudioStream> stream;
  };
  struct AppendCmd {
    std::uint64_t id;
    std::vector<std::string> segments;
  };
  struct CloseCmd {
    std::uint64_t id;
  };
  struct CancelCmd {
    std::uint64_t id;
  };
  using Command = std::variant<SubmitCmd, AppendCmd, CloseCmd, CancelCmd>;

  // Called by RequestHandle (any thread).
  void post(Command command);
  void release_slot() { active_.fetch_sub(1); }  // after the handle posted its Cancel
  void wake() const;

  // Loop thread.
  void loop();
  void run_loop();
  void apply(Command& command);
  void on_frame(Worker& w, const worker::FrameView& frame) override;
  void on_lost(Worker& w, std::vector<WorkerJob> jobs, std::uint64_t culprit,
               const char* why) override;
  void on_hello(Worker& w, worker::Hello hello);
  Request* find(std::uint64_t id);
  void fail_request(Request& r, const std::string& message);
  void cancel_request(Request& r);
  void settle(Request& r);  // erases a request that is complete, or cancelled and idle
  void serve_from_cache();
  void dispatch();
  bool start_one(Worker& w);  // starts a job of w's engine on w, if one is waiting
  // After a burst, the network threads' malloc arenas keep the freed buffers of finished
  // requests (tens of MiB after 128 clients); once no request has been held for a second,
  // malloc_trim returns them. Returns how long the loop may sleep before it should look again.
  int trim_when_idle(Clock::time_point now);
  void publish_stats(std::uint64_t answers);

  const SchedulerConfig config_;
  int wake_fd_ = -1;

  // Commands from other threads.
  std::mutex commands_mu_;
  std::vector<Command> commands_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};

  std::atomic<std::uint64_t> next_request_id_{1};
  std::atomic<std::size_t> active_{0};
  std::atomic<std::uint64_t> rejected_{0};

  // Published snapshots. stats() takes a ticket (stats_requested_) and waits until the loop
  // has published an answer to it (stats_answered_).
  mutable std::mutex snapshot_mu_;
  std::condition_variable started_cv_;
  mutable std::condition_variable stats_cv_;
  mutable std::atomic<std::uint64_t> stats_requested_{0};
  std::uint64_t stats_answered_ = 0;
  bool running_ = false;  // the loop thread is running
  std::shared_ptr<const Catalog> catalog_ = std::make_shared<Catalog>();
  std::map<std::string, std::string> unavailable_;  // engine -> reason
  std::shared_ptr<const SchedulerStats> stats_ = std::make_shared<SchedulerStats>();

  // Loop thread only (and start()/stop() while the loop is not running).
  WorkerPool pool_;
  std::map<std::uint64_t, Request> requests_;  // by id = arrival order
  std::vector<std::string> grow_;              // engines whose pool grows by one worker
  std::uint64_t next_job_id_ = 1;
  std::uint64_t rr_cursor_ = 0;  // request id served last, for round-robin
  SchedulerStats counters_;
  SynthesisCache cache_;
  // Returning memory to the system once the server has been idle a moment (trim_when_idle).
  Clock::time_point busy_until_{};
  bool trimmed_ = true;
  std::thread thread_;
};

}  // namespace lector::sched
