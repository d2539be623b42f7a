#pragma once
// The scheduler: worker pools per engine, requests split into segments, fair dispatch,
// in-order delivery, supervision of worker processes.
//
// Threading: one loop thread (started by start()) owns the workers and does all worker I/O.
// Public methods are thread-safe; they change state under `mu_` and wake the loop through an
// eventfd. The Scheduler must outlive every AudioStream it returned.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/types.h"
#include "sched/audio_stream.h"
#include "sched/cache.h"
#include "sched/worker_pool.h"
#include "worker/protocol.h"

namespace lector::sched {

struct SchedulerConfig {
  std::string worker_exe;                     // binary to run as `worker`
  std::map<std::string, int> workers;         // engine name -> pool size
  std::size_t max_requests = 128;             // requests in flight before 503
  std::size_t lookahead = 4;                  // segments ahead of the head per request
  std::size_t max_buffered_bytes = 2u << 20;  // unread audio per request before throttling
  std::chrono::milliseconds segment_timeout{30000};
  std::chrono::milliseconds startup_timeout{15000};
  std::size_t cache_bytes = 64u << 20;  // synthesis cache budget; 0 disables it
};

struct EngineInfo {
  std::string name;
  int sample_rate = 0;
  std::vector<VoiceInfo> voices;
  std::vector<std::string> variants;  // accepted as "voice+variant"
  worker::Capabilities caps;          // as the engine's worker reported them in its Hello
  // A voice by name; "voice+variant" finds the base voice when the variant exists.
  const VoiceInfo* find_voice(const std::string& name) const;
};

struct SynthesisRequest {
  std::string engine;
  std::string voice;
  SynthParams params;
  std::vector<std::string> segments;  // non-empty unless the request is open
  // An open request takes more segments with append() until close(); its text is still
  // being written (a streamed upload, an LLM).
  bool open = false;
};

struct WorkerStatus {
  std::string engine;
  int pid = -1;
  std::string state;  // starting, idle, busy, cancelling, dead
  std::uint64_t segments_done = 0;
};

struct SchedulerStats {
  std::vector<WorkerStatus> workers;
  std::size_t requests_active = 0;
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
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerConfig config);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Spawns the pools and waits until each engine's first worker has said hello (or the
  // startup timeout passed). Engines none of whose workers start are left out of engines().
  void start();
  void stop();

  std::vector<EngineInfo> engines() const;  // engines with a worker that started
  std::vector<std::string> configured_engines() const;
  // The engine, or nullptr. Entries are never changed or removed once a worker said hello, so
  // the pointer stays valid for the scheduler's lifetime; no copy on the request path.
  const EngineInfo* engine(const std::string& name) const;
  bool ready(const std::string& engine) const;  // has at least one live worker

  // Queues a request. Throws Error(kOverloaded) when max_requests are in flight.
  std::shared_ptr<AudioStream> submit(SynthesisRequest request);
  // Adds segments to an open request / says no more will come. No-ops for a request that is
  // gone (finished, failed or cancelled).
  void append(std::uint64_t request_id, std::vector<std::string> segments);
  void close(std::uint64_t request_id);
  SchedulerStats stats() const;

  // Called by AudioStream.
  void cancel(std::uint64_t request_id);
  void wake();

 private:
  using Clock = std::chrono::steady_clock;
  enum class WorkerState { kStarting, kIdle, kBusy, kCancelling, kDead };
  enum class SegmentState { kPending, kRunning, kDone };

  struct Segment {
    std::string text;
    SegmentState state = SegmentState::kPending;
    int attempts = 0;                           // worker deaths while running it
    std::string pcm;                            // audio held until the segment reaches the head
    std::shared_ptr<const std::string> cached;  // or the cache's copy of it, shared
    std::size_t delivered = 0;                  // bytes already streamed to the client
    std::size_t skip = 0;                       // bytes of a retry's output the client already has
    bool cache_checked = false;
    std::size_t stream_offset = SIZE_MAX;  // where its audio starts in the stream, once known
    std::vector<worker::WordMark> words;   // word marks waiting for stream_offset
    std::size_t words_seen = 0;            // word marks received in this attempt
    std::size_t words_sent = 0;            // word marks handed to the stream (across retries)
    std::string full;                      // this attempt's whole output, for the cache
  };

  struct Request {
    std::uint64_t id = 0;
    SynthesisRequest spec;
    std::vector<Segment> segments;
    std::size_t head = 0;     // next segment to deliver
    std::size_t started = 0;  // segments whose start mark was sent
    std::size_t running = 0;
    bool cancelled = false;
    std::shared_ptr<AudioStream> stream;
  };

  struct Worker {
    std::string engine;
    SpawnedWorker proc;
    WorkerState state = WorkerState::kDead;
    worker::FrameBuffer in;
    std::uint64_t job_id = 0;
    std::uint64_t request_id = 0;
    std::size_t segment = 0;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point respawn_at{};
    int failures = 0;  // consecutive starts that never completed a job
    std::uint64_t segments_done = 0;
  };

  void loop();
  void spawn(Worker& w);
  void read_worker(Worker& w);
  void handle_frame(Worker& w, const worker::FrameView& frame);
  void on_worker_exit(Worker& w, const char* why);
  void on_audio(Request& r, std::size_t index, std::string_view pcm);
  void on_segment_done(Request& r, std::size_t index);
  void on_word(Request& r, std::size_t index, const worker::WordMark& mark);
  void send_word(Request& r, std::size_t index, const worker::WordMark& mark);
  void advance(Request& r);
  void mark_starts(Request& r);
  void fail_request(Request& r, const std::string& message);
  void cancel_request(Request& r);
  void finish_if_idle(std::uint64_t request_id);
  void dispatch();
  void serve_from_cache();
  void serve_from_cache(std::uint64_t request_id);
  bool start_segment(Worker& w, Request& r, std::size_t index);
  std::size_t held_bytes(const Request& r) const;
  void send(Worker& w, const std::string& frame);
  Clock::time_point next_timer() const;

  SchedulerConfig config_;
  int wake_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable started_cv_;
  bool stopping_ = false;
  std::map<std::string, EngineInfo> engines_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<std::uint64_t, Request> requests_;  // by id = arrival order
  std::uint64_t next_request_id_ = 1;
  std::uint64_t next_job_id_ = 1;
  std::uint64_t rr_cursor_ = 0;  // request id served last, for round-robin
  SchedulerStats counters_;
  SynthesisCache cache_;
  std::thread thread_;
};

}  // namespace lector::sched
