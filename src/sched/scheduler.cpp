// The loop thread's state and every command that touches it (submit, append, cancel, worker
// frames, deadlines, stats); what runs where is in scheduler_dispatch.cpp. Kept whole, a few
// lines past ~450: those commands are one concern, the scheduler's loop.
#include "sched/scheduler.h"

#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "core/error.h"
#include "obs/log.h"

namespace lector::sched {

using worker::FrameType;

namespace {

// How long stats() waits for the loop to publish; past it the last snapshot is returned.
constexpr std::chrono::milliseconds kStatsWait{1000};

}  // namespace

Scheduler::Scheduler(SchedulerConfig config, WorkerPool::Spawner spawner)
    : config_(std::move(config)),
      pool_(
          WorkerPoolConfig{config_.startup_timeout},
          spawner ? std::move(spawner)
                  : [this](const std::string& engine) {
                      const auto spec = config_.spawn.find(engine);
                      return spawn_worker(config_.worker_exe, engine,
                                          spec != config_.spawn.end() ? spec->second : SpawnSpec{});
                    },
          *this),
      cache_(config_.cache_bytes) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error(ErrorCode::kInternal, "eventfd failed");
}

Scheduler::~Scheduler() {
  stop();
  ::close(wake_fd_);
}

void Scheduler::start() {
  for (const auto& [engine, count] : config_.workers)
    for (int i = 0; i < std::max(count, 1); ++i) pool_.add(engine);
  thread_ = std::thread([this] { loop(); });

  std::unique_lock lock(snapshot_mu_);
  started_cv_.wait_for(lock, config_.startup_timeout, [this] {
    return catalog_->size() + unavailable_.size() == config_.workers.size();
  });
  for (const auto& [engine, count] : config_.workers) {
    if (catalog_->engine(engine) == nullptr && unavailable_.count(engine) == 0)
      obs::log_error("engine {}: no worker started within {} ms; engine disabled", engine,
                     config_.startup_timeout.count());
  }
}

void Scheduler::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  pool_.stop_all();
  for (auto& [id, r] : requests_) r.sink().fail("server is shutting down");
  requests_.clear();
}

std::shared_ptr<const Catalog> Scheduler::catalog() const {
  std::lock_guard lock(snapshot_mu_);
  return catalog_;
}

const EngineInfo* Scheduler::engine(const std::string& name) const {
  return catalog()->engine(name);
}

std::vector<EngineInfo> Scheduler::engines() const {
  std::vector<EngineInfo> out;
  for (const EngineInfo* e : catalog()->engines()) out.push_back(*e);
  return out;
}

std::vector<std::string> Scheduler::configured_engines() const {
  std::vector<std::string> out;
  for (const auto& [name, count] : config_.workers) out.push_back(name);
  return out;
}

std::map<std::string, std::string> Scheduler::unavailable_engines() const {
  std::lock_guard lock(snapshot_mu_);
  return unavailable_;
}

std::string Scheduler::unavailable_reason(const std::string& engine) const {
  std::lock_guard lock(snapshot_mu_);
  const auto it = unavailable_.find(engine);
  return it == unavailable_.end() ? std::string() : it->second;
}

bool Scheduler::ready(const std::string& engine) const {
  const SchedulerStats s = stats();
  return std::any_of(s.workers.begin(), s.workers.end(),
                     [&](const WorkerStatus& w) { return w.engine == engine && w.live(); });
}

RequestHandle Scheduler::submit(SynthesisRequest spec) {
  if (spec.segments.empty() && !spec.open)
    throw Error(ErrorCode::kInternal, "request without segments");
  if (draining_.load())
    throw Error(ErrorCode::kShuttingDown, "server is shutting down; retry on another instance");
  const std::shared_ptr<const Catalog> catalog = this->catalog();
  const EngineInfo* engine = catalog->engine(spec.engine);
  if (engine == nullptr) {
    const std::string reason = unavailable_reason(spec.engine);
    throw Error(ErrorCode::kUnavailable, "engine '" + spec.engine + "' is not running" +
                                             (reason.empty() ? "" : ": " + reason));
  }
  const VoiceInfo* voice = engine->find_voice(spec.voice);
  if (voice == nullptr)
    throw Error(ErrorCode::kBadParameter, "unknown voice '" + spec.voice + "'", "voice");
  if (spec.usage) spec.usage->check();
  const std::size_t before = active_.fetch_add(1, std::memory_order_relaxed);
  if (before >= config_.max_requests) {
    active_.fetch_sub(1, std::memory_order_relaxed);
    rejected_.fetch_add(1, std::memory_order_relaxed);
    throw Error(ErrorCode::kOverloaded,
                "server is saturated: " + std::to_string(before) + " requests in flight (limit " +
                    std::to_string(config_.max_requests) + "); retry later");
  }
  const std::uint64_t id = next_request_id_.fetch_add(1, std::memory_order_relaxed);
  auto stream = std::make_shared<AudioStream>(id, engine->rate_of(*voice), [this] { wake(); });
  std::shared_ptr<UsageMeter> usage = spec.usage;
  post(SubmitCmd{id, std::move(spec), stream});
  return RequestHandle(this, std::move(stream), std::move(usage));
}

SchedulerStats Scheduler::stats() const {
  // Read before the ticket: a handle posts its Cancel before it gives its slot back, so a
  // count read here has every command behind it already queued, and the snapshot below
  // reflects them (requests_active 0 comes with every cancellation counted).
  const std::size_t active = active_.load();
  const std::uint64_t rejected = rejected_.load();
  SchedulerStats s;
  {
    std::unique_lock lock(snapshot_mu_);
    if (running_) {
      // A ticket: the loop answers every ticket it has seen before it takes its commands, so
      // the answer reflects every command posted before this call, even with many callers.
      // The loop never blocks on I/O, so the wait is one pass.
      const std::uint64_t ticket = stats_requested_.fetch_add(1) + 1;
      wake();
      stats_cv_.wait_for(lock, kStatsWait, [&] { return stats_answered_ >= ticket || !running_; });
    }
    s = *stats_;
  }
  s.requests_active = active;
  s.requests_rejected = rejected;
  return s;
}

void Scheduler::post(Command command) {
  {
    std::lock_guard lock(commands_mu_);
    commands_.push_back(std::move(command));
  }
  wake();
}

void Scheduler::wake() const {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

// --- loop thread ---------------------------------------------------------------------------

void Scheduler::loop() {
  {
    std::lock_guard lock(snapshot_mu_);
    running_ = true;
  }
  run_loop();
  std::lock_guard lock(snapshot_mu_);
  running_ = false;
  stats_cv_.notify_all();
}

void Scheduler::run_loop() {
  std::vector<pollfd> fds;
  std::vector<Worker*> polled;
  std::vector<Command> commands;
  std::uint64_t answered = 0;  // the last stats ticket published
  while (!stopping_) {
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    polled.clear();
    pool_.poll_set(fds, polled);
    const Clock::time_point t = pool_.next_timer();
    int timeout_ms = -1;
    if (t != Clock::time_point::max()) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, 60000));
    }
    const int idle_ms = trim_when_idle(Clock::now());
    if (idle_ms >= 0 && (timeout_ms < 0 || idle_ms < timeout_ms)) timeout_ms = idle_ms;
    const int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      obs::log_error("scheduler poll failed: {}", std::system_category().message(errno));
      return;
    }
    if (stopping_) return;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &v, sizeof v);
    }
    // Taken before the commands: a stats() call sees every command posted before it.
    const std::uint64_t wanted = stats_requested_.load();
    {
      std::lock_guard lock(commands_mu_);
      commands.swap(commands_);
    }
    for (Command& c : commands) apply(c);
    commands.clear();
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents != 0) pool_.service(*polled[i - 1], fds[i].revents);
    for (const std::string& engine : grow_) pool_.add(engine);
    grow_.clear();
    const Clock::time_point now = Clock::now();
    pool_.tick(now);
    serve_from_cache();
    dispatch();
    if (wanted != answered) {
      publish_stats(wanted);
      answered = wanted;
    }
  }
}

int Scheduler::trim_when_idle(Clock::time_point now) {
  constexpr auto kIdle = std::chrono::seconds(1);
  if (!requests_.empty()) {
    busy_until_ = now + kIdle;
    trimmed_ = false;
    return -1;
  }
  if (trimmed_) return -1;
  if (now < busy_until_)
    return static_cast<int>(
        std::chrono::ceil<std::chrono::milliseconds>(busy_until_ - now).count());
  ::malloc_trim(0);
  trimmed_ = true;
  return -1;
}

void Scheduler::apply(Command& command) {
  std::visit(
      [this](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, SubmitCmd>) {
          // Speech runs at about 15 characters a second: the audio a text byte makes at the
          // voice's rate, as 16-bit samples, until the request's own segments show it.
          const Request::Limits limits{config_.lookahead, config_.max_buffered_bytes,
                                       cache_.enabled(),
                                       static_cast<std::size_t>(c.stream->sample_rate()) * 2 / 15};
          requests_.try_emplace(c.id, c.id, std::move(c.spec), std::move(c.stream), limits);
          ++counters_.requests_total;
        } else if constexpr (std::is_same_v<T, AppendCmd>) {
          Request* r = find(c.id);
          if (r == nullptr || r->cancelled() || !r->open()) return;
          r->append(std::move(c.segments));
        } else if constexpr (std::is_same_v<T, CloseCmd>) {
          Request* r = find(c.id);
          if (r == nullptr || r->cancelled()) return;
          r->close();
          settle(*r);
        } else {
          Request* r = find(c.id);
          if (r == nullptr || r->cancelled()) return;
          ++counters_.requests_cancelled;
          cancel_request(*r);
        }
      },
      command);
}

Request* Scheduler::find(std::uint64_t id) {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

void Scheduler::on_frame(Worker& w, const worker::FrameView& frame) {
  switch (frame.type) {
    case FrameType::kHello: {
      if (w.state != WorkerState::kStarting) throw Error(ErrorCode::kInternal, "second hello");
      worker::Hello hello = worker::decode_hello(frame.payload);
      w.deadline = Clock::time_point::max();
      w.capacity = static_cast<std::size_t>(hello.caps.parallel_jobs);
      w.unavailable = hello.unavailable;
      w.state = w.unavailable.empty() ? WorkerState::kIdle : WorkerState::kUnavailable;
      on_hello(w, std::move(hello));
      return;
    }
    case FrameType::kAudio: {
      std::string_view pcm;
      const std::uint64_t job = worker::decode_audio(frame.payload, pcm);
      const WorkerJob* j = w.job(job);
      if (j == nullptr || j->cancelling) return;  // a cancelled job's tail
      if (Request* r = find(j->request_id)) r->on_audio(j->segment, pcm);
      return;
    }
    case FrameType::kMark: {
      const worker::WordMark mark = worker::decode_mark(frame.payload);
      const WorkerJob* j = w.job(mark.job_id);
      if (j == nullptr || j->cancelling) return;
      if (Request* r = find(j->request_id)) r->on_word(j->segment, mark);
      return;
    }
    case FrameType::kDone:
    case FrameType::kError: {
      std::uint64_t job = 0;
      std::string error;
      if (frame.type == FrameType::kDone) {
        job = worker::decode_done(frame.payload).job_id;
      } else {
        worker::ErrorFrame e = worker::decode_error(frame.payload);
        job = e.job_id;
        error = std::move(e.message);
      }
      if (w.job(job) == nullptr)
        throw Error(ErrorCode::kInternal, "done for a job it does not run");
      const WorkerJob done = pool_.job_finished(w, job);
      Request* r = find(done.request_id);
      if (r == nullptr) return;
      if (done.cancelling || r->cancelled()) {
        r->on_abandoned(done.segment);
        settle(*r);
      } else if (!error.empty()) {
        r->on_abandoned(done.segment);
        fail_request(*r, "segment " + std::to_string(done.segment) + " failed: " + error);
      } else {
        ++counters_.segments_done;
        ++counters_.engines[r->spec().engine].segments_done;
        CachedSegment full = r->on_done(done.segment);
        if (cache_.enabled() && !full.pcm.empty())
          cache_.insert(SynthesisCache::key(r->spec().engine, r->spec().voice, r->spec().params,
                                            r->text(done.segment)),
                        std::move(full));
        settle(*r);
      }
      return;
    }
    default:
      throw Error(ErrorCode::kInternal, "unexpected frame from worker");
  }
}

void Scheduler::on_hello(Worker& w, worker::Hello hello) {
  std::lock_guard lock(snapshot_mu_);
  if (catalog_->engine(w.engine) != nullptr) return;
  if (!hello.unavailable.empty()) {
    // Said once per engine: its workers stay up (and are not respawned), unused.
    if (unavailable_.emplace(w.engine, hello.unavailable).second) {
      obs::log_warn("engine {}: unavailable: {}", w.engine, hello.unavailable);
      started_cv_.notify_all();
    }
    return;
  }
  std::size_t pool = pool_.count(w.engine);
  if (config_.workers.at(w.engine) == SchedulerConfig::kEngineDefault) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t wanted = hello.caps.default_workers > 0
                                   ? static_cast<std::size_t>(hello.caps.default_workers)
                                   : cores;
    for (; pool < wanted; ++pool) grow_.push_back(w.engine);
  }
  obs::log_info("engine {}: {} voices at {} Hz, {} worker(s) of about {} MB, {} job(s) each",
                w.engine, hello.voices.size(), hello.sample_rate, pool,
                hello.caps.memory_mb_per_worker, hello.caps.parallel_jobs);
  auto info = std::make_shared<EngineInfo>();
  info->name = w.engine;
  info->sample_rate = hello.sample_rate;
  info->voices = std::move(hello.voices);
  info->variants = std::move(hello.variants);
  info->caps = hello.caps;
  catalog_ = std::make_shared<const Catalog>(*catalog_, std::move(info));
  started_cv_.notify_all();
}

void Scheduler::on_lost(Worker& w, std::vector<WorkerJob> jobs, std::uint64_t culprit,
                        const char* why) {
  ++counters_.worker_restarts;
  ++counters_.engines[w.engine].worker_restarts;
  for (const WorkerJob& j : jobs) {
    Request* r = find(j.request_id);
    if (r == nullptr) continue;
    if (j.cancelling || r->cancelled()) {
      r->on_abandoned(j.segment);
      settle(*r);
      continue;
    }
    // A job that shared the worker with the one it was killed for did nothing wrong: it runs
    // again without using up its retry.
    const bool blamed = culprit == 0 || j.job_id == culprit;
    if (!r->on_lost(j.segment, blamed)) {
      fail_request(*r, "segment " + std::to_string(j.segment) + " failed twice: worker " + why);
      continue;
    }
    ++counters_.segments_retried;
  }
}

void Scheduler::fail_request(Request& r, const std::string& message) {
  obs::log_warn("request {}: {}", r.id(), message);
  ++counters_.requests_failed;
  r.sink().fail(message);
  cancel_request(r);
}

void Scheduler::cancel_request(Request& r) {
  r.set_cancelled();
  std::vector<std::uint64_t> ids;
  for (const auto& w : pool_.workers()) {
    ids.clear();
    for (const WorkerJob& j : w->jobs)
      if (!j.cancelling && j.request_id == r.id()) ids.push_back(j.job_id);
    // By id: a failed send loses the worker, which empties its jobs.
    for (const std::uint64_t id : ids) pool_.cancel_job(*w, id);
  }
  settle(r);
}

void Scheduler::settle(Request& r) {
  if (r.complete() && !r.cancelled()) {
    ++counters_.requests_completed;
    requests_.erase(r.id());
  } else if (r.cancelled() && r.running() == 0) {
    requests_.erase(r.id());
  }
}

void Scheduler::publish_stats(std::uint64_t answers) {
  auto s = std::make_shared<SchedulerStats>(counters_);
  s->cache_hits = cache_.hits();
  s->cache_misses = cache_.misses();
  s->cache_bytes = cache_.bytes();
  s->cache_entries = cache_.entries();
  s->requests_held = requests_.size();
  for (const auto& [id, r] : requests_) s->segments_queued += r.pending();
  for (const auto& w : pool_.workers())
    s->workers.push_back({w->engine, w->proc.pid, to_string(w->state), w->segments_done,
                          w->capacity, w->jobs.size(), w->unavailable});
  std::lock_guard lock(snapshot_mu_);
  stats_ = std::move(s);
  stats_answered_ = answers;
  stats_cv_.notify_all();
}

}  // namespace lector::sched
