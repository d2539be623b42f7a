#pragma once
// Fake workers for scheduler tests, and the client-side helpers that check what they produced.
//
// Each fake worker is a thread at the far end of a socketpair speaking
// the real frame protocol (worker/protocol.h), so a real sched::Scheduler and WorkerPool run
// unchanged against it. A per-test JobPlan says what a worker does with each job: how much
// audio it sends, where it stalls until a Gate opens, where it dies (closes its socket),
// whether it answers Error or ignores Cancel. Every step is recorded in an event log the test
// waits on, so tests assert on causality instead of on time.
//
// Threading: FakeFleet::spawner() returns a function the scheduler's loop thread calls; every
// other FakeFleet method may be called from any thread (one mutex guards the plans and the
// log). Each fake worker runs on its own thread and exits when the scheduler closes its end of
// the socket (how the pool stops or kills a worker with no process). ~FakeFleet joins them, so
// the Scheduler must be destroyed (stopped) first.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sched/request_handle.h"
#include "sched/scheduler.h"
#include "sched/worker_pool.h"

namespace lector::sched::fake {

inline constexpr const char* kEngine = "fake";
inline constexpr int kSampleRate = 16000;
// How long a test waits for something that must happen: a liveness guard, never a measurement.
inline constexpr std::chrono::milliseconds kLiveness{10000};

// A one-way door: once open it stays open, and every worker waiting on it goes on. Workers wait
// in poll() on its eventfd together with their socket, so a Cancel or a kill still reaches them.
class Gate {
 public:
  Gate();
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  void open();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// What a fake worker does with one job. Chunk k is a WordMark (sample offset k * chunk_samples,
// text offset k) followed by an Audio frame of chunk_samples samples.
struct JobPlan {
  int chunks = 3;
  std::size_t chunk_samples = 32;
  // Before chunk k (k == chunks: before the final Done/Error), wait until the gate opens.
  std::map<int, std::shared_ptr<Gate>> gates;
  // Close the socket instead of sending chunk k (after waiting for a gate at k, if any).
  int die_before = -1;
  bool error = false;          // answer Error instead of Done
  bool ignore_cancel = false;  // record a Cancel but keep going, and answer Done as usual
  bool word_marks = true;
};

// The PCM of chunk `chunk` of a job for `text`: every sample says which text (a hash in the
// high byte) and which sample of the job (the low byte counts on) it is, so a misplaced,
// repeated or missing piece shows up in a comparison.
std::string fake_chunk(const std::string& text, int chunk, std::size_t samples);
// The whole audio of a job that runs `plan` to the end.
std::string fake_audio(const std::string& text, const JobPlan& plan);

struct FakeEvent {
  enum class Kind {
    kHello,           // the worker started and said hello
    kStarted,         // a Synthesize arrived
    kChunk,           // about to send a chunk (bytes = its PCM size)
    kStalled,         // waiting on a gate
    kCancelReceived,  // a Cancel for the running job arrived
    kCancelled,       // about to answer Done(cancelled) after honouring a Cancel
    kDone,            // about to send Done
    kError,           // about to send Error
    kDied,            // closing its socket on purpose (plan.die_before)
    kKilled,          // the scheduler closed the socket
  };
  Kind kind;
  int worker = -1;  // spawn order, from 0; a respawned worker gets a new number
  std::string text;
  std::uint64_t job = 0;
  int attempt = 0;  // how many times this text had started before
  std::size_t bytes = 0;
};

using Events = std::vector<FakeEvent>;
// Events of `kind` (for `text`, unless empty).
std::size_t count(const Events& events, FakeEvent::Kind kind, const std::string& text = {});
// Position in the log of the first event of `kind` for `text`, or SIZE_MAX.
std::size_t first(const Events& events, FakeEvent::Kind kind, const std::string& text = {});

class FakeFleet {
 public:
  // Chooses a job's plan from its text and how many times that text started before.
  using Planner = std::function<JobPlan(const std::string& text, int attempt)>;

  FakeFleet();
  ~FakeFleet();
  FakeFleet(const FakeFleet&) = delete;
  FakeFleet& operator=(const FakeFleet&) = delete;

  void set_planner(Planner planner);
  // The Scheduler's second constructor argument: SpawnedWorker{pid -1, our socket end}.
  WorkerPool::Spawner spawner();

  Events events() const;
  // Waits until `done(events)` holds; false after `timeout` (a liveness guard).
  bool wait(const std::function<bool(const Events&)>& done,
            std::chrono::milliseconds timeout = kLiveness) const;
  // Waits for `n` events of `kind` (for `text`, unless empty).
  bool wait_count(FakeEvent::Kind kind, const std::string& text, std::size_t n,
                  std::chrono::milliseconds timeout = kLiveness) const;

 private:
  struct Link;
  SpawnedWorker spawn();
  void run(int index, int fd);
  bool run_job(int index, int fd, Link& link, const std::string& text, std::uint64_t job,
               int attempt, const JobPlan& plan);
  void log(FakeEvent event);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Planner planner_;
  std::map<std::string, int> attempts_;
  Events events_;
  std::vector<std::thread> threads_;
};

// --- the client's side -------------------------------------------------------------------

// Reads a handle's audio on the test thread, sleeping on its waker between takes (the waker
// runs on the scheduler's loop thread). The handle must outlive the Reader.
class Reader {
 public:
  using State = AudioSource::State;
  explicit Reader(RequestHandle& handle);

  // Takes until at least `bytes` are read in all, or the stream ended; a test failure when
  // nothing comes within kLiveness.
  State read_until(std::size_t bytes);
  State read_to_end() { return read_until(SIZE_MAX); }
  // What is there now, without waiting.
  State poll();
  bool over() const { return state == State::kEnd || state == State::kFailed; }

  std::string audio;
  std::vector<AudioMark> marks;
  State state = State::kPending;

 private:
  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t wakes = 0;
  };
  RequestHandle& handle_;
  std::shared_ptr<Signal> signal_;
};

// "s0", "s1", ... and back: segment texts that say their index.
std::vector<std::string> texts(const std::string& prefix, int n);
int index_of(const std::string& text);
// The audio of a request whose segments all ran `plan` to the end.
std::string audio_of(const std::vector<std::string>& segments, const JobPlan& plan = {});
// Equal PCM, or where the first difference is.
::testing::AssertionResult same_audio(const std::string& got, const std::string& want);
// The marks such a request carries: each segment's start and end where its audio starts and
// ends, a word at each chunk, nothing twice, nothing missing.
void expect_marks(const std::vector<AudioMark>& marks, const std::vector<std::string>& segments,
                  const JobPlan& plan);

std::size_t busy_workers(const SchedulerStats& s);  // busy or cancelling
bool all_idle(const SchedulerStats& s);

// --- the fixture ----------------------------------------------------------------------------

// A real Scheduler whose workers are a FakeFleet. TearDown checks that the test left it idle
// (no request, nothing queued, every worker idle), then stops it.
class SchedulerFixture : public ::testing::Test {
 protected:
  static constexpr const char* kOther = "other";  // a second engine of the same fakes

  static SchedulerConfig config();
  // Starts the scheduler with `workers` fake workers (and `other` of kOther), waits until every
  // one is idle.
  void start(int workers, SchedulerConfig c = config(), int other = 0);
  void TearDown() override;
  // Polls stats() (each call waits for a loop pass) until `done` holds; false after kLiveness.
  // The last snapshot is left in last_.
  bool wait_stats(const std::function<bool(const SchedulerStats&)>& done);
  RequestHandle submit(std::vector<std::string> segments, bool open = false,
                       const std::string& engine = kEngine);
  // Plans every job with `base`, except what `special` changes for a text and attempt.
  void plan(std::function<void(const std::string&, int, JobPlan&)> special = {}, JobPlan base = {});

  FakeFleet fleet_;  // declared first: destroyed after the scheduler closed its sockets
  std::unique_ptr<Scheduler> scheduler_;
  SchedulerStats last_;
};

}  // namespace lector::sched::fake
