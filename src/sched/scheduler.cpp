#include "sched/scheduler.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "obs/log.h"

namespace lector::sched {

using worker::FrameType;

const VoiceInfo* EngineInfo::find_voice(const std::string& voice) const {
  const std::size_t plus = voice.find('+');
  const std::string_view base = std::string_view(voice).substr(0, plus);
  if (plus != std::string::npos &&
      std::find(variants.begin(), variants.end(), voice.substr(plus + 1)) == variants.end())
    return nullptr;
  for (const VoiceInfo& v : voices)
    if (v.name == base) return &v;
  return nullptr;
}

Scheduler::Scheduler(SchedulerConfig config)
    : config_(std::move(config)), cache_(config_.cache_bytes) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error(ErrorCode::kInternal, "eventfd failed");
}

Scheduler::~Scheduler() {
  stop();
  ::close(wake_fd_);
}

void Scheduler::start() {
  {
    std::lock_guard lock(mu_);
    for (const auto& [engine, count] : config_.workers) {
      for (int i = 0; i < count; ++i) {
        auto w = std::make_unique<Worker>();
        w->engine = engine;
        spawn(*w);
        workers_.push_back(std::move(w));
      }
    }
  }
  thread_ = std::thread([this] { loop(); });

  std::unique_lock lock(mu_);
  started_cv_.wait_for(lock, config_.startup_timeout,
                       [this] { return engines_.size() == config_.workers.size(); });
  for (const auto& [engine, count] : config_.workers) {
    if (engines_.count(engine) == 0)
      obs::log_error("engine {}: no worker started within {} ms; engine disabled", engine,
                     config_.startup_timeout.count());
  }
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& w : workers_) stop_worker(w->proc);
  for (auto& [id, r] : requests_) r.stream->fail("server is shutting down");
  requests_.clear();
}

std::vector<EngineInfo> Scheduler::engines() const {
  std::lock_guard lock(mu_);
  std::vector<EngineInfo> out;
  for (const auto& [name, info] : engines_) out.push_back(info);
  return out;
}

std::vector<std::string> Scheduler::configured_engines() const {
  std::vector<std::string> out;
  for (const auto& [name, count] : config_.workers) out.push_back(name);
  return out;
}

const EngineInfo* Scheduler::engine(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = engines_.find(name);
  return it == engines_.end() ? nullptr : &it->second;
}

bool Scheduler::ready(const std::string& engine) const {
  std::lock_guard lock(mu_);
  return std::any_of(workers_.begin(), workers_.end(), [&](const auto& w) {
    return w->engine == engine && w->state != WorkerState::kDead &&
           w->state != WorkerState::kStarting;
  });
}

std::shared_ptr<AudioStream> Scheduler::submit(SynthesisRequest spec) {
  if (spec.segments.empty() && !spec.open)
    throw Error(ErrorCode::kInternal, "request without segments");
  std::shared_ptr<AudioStream> stream;
  {
    std::lock_guard lock(mu_);
    auto engine = engines_.find(spec.engine);
    if (engine == engines_.end())
      throw Error(ErrorCode::kUnavailable, "engine '" + spec.engine + "' is not running");
    if (requests_.size() >= config_.max_requests) {
      ++counters_.requests_rejected;
      throw Error(ErrorCode::kOverloaded,
                  "server is saturated: " + std::to_string(requests_.size()) +
                      " requests in flight (limit " + std::to_string(config_.max_requests) +
                      "); retry later");
    }
    const VoiceInfo* voice = engine->second.find_voice(spec.voice);
    if (voice == nullptr)
      throw Error(ErrorCode::kBadParameter, "unknown voice '" + spec.voice + "'", "voice");
    const int rate = voice->sample_rate > 0 ? voice->sample_rate : engine->second.sample_rate;
    const std::uint64_t id = next_request_id_++;
    stream = std::make_shared<AudioStream>(id, rate, this);
    Request& r = requests_[id];
    r.id = id;
    r.stream = stream;
    r.segments.reserve(spec.segments.size());
    for (std::string& text : spec.segments) r.segments.emplace_back().text = std::move(text);
    spec.segments.clear();
    r.spec = std::move(spec);
    mark_starts(r);
    ++counters_.requests_total;
    // Cached audio is handed over right here, on the caller's thread: a hit waits for nothing.
    if (cache_.enabled()) serve_from_cache(id);
  }
  wake();
  return stream;
}

void Scheduler::append(std::uint64_t request_id, std::vector<std::string> segments) {
  {
    std::lock_guard lock(mu_);
    auto it = requests_.find(request_id);
    if (it == requests_.end() || it->second.cancelled) return;
    Request& r = it->second;
    if (!r.spec.open) throw Error(ErrorCode::kInternal, "append to a closed request");
    for (std::string& text : segments) r.segments.emplace_back().text = std::move(text);
    mark_starts(r);
  }
  wake();
}

void Scheduler::close(std::uint64_t request_id) {
  {
    std::lock_guard lock(mu_);
    auto it = requests_.find(request_id);
    if (it == requests_.end() || it->second.cancelled || !it->second.spec.open) return;
    it->second.spec.open = false;
    advance(it->second);  // everything may already be delivered
  }
  wake();
}

void Scheduler::cancel(std::uint64_t request_id) {
  {
    std::lock_guard lock(mu_);
    auto it = requests_.find(request_id);
    if (it == requests_.end() || it->second.cancelled) return;
    ++counters_.requests_cancelled;
    cancel_request(it->second);
  }
  wake();
}

void Scheduler::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mu_);
  SchedulerStats s = counters_;
  s.cache_hits = cache_.hits();
  s.cache_misses = cache_.misses();
  s.cache_bytes = cache_.bytes();
  s.cache_entries = cache_.entries();
  s.requests_active = requests_.size();
  for (const auto& [id, r] : requests_)
    for (const Segment& seg : r.segments)
      if (seg.state == SegmentState::kPending && !r.cancelled) ++s.segments_queued;
  static constexpr const char* kNames[] = {"starting", "idle", "busy", "cancelling", "dead"};
  for (const auto& w : workers_)
    s.workers.push_back(
        {w->engine, w->proc.pid, kNames[static_cast<int>(w->state)], w->segments_done});
  return s;
}

// --- loop thread ---------------------------------------------------------------------------

void Scheduler::loop() {
  std::vector<pollfd> fds;
  std::vector<Worker*> polled;
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
      polled.clear();
      for (auto& w : workers_) {
        if (w->proc.fd < 0) continue;
        fds.push_back(pollfd{w->proc.fd, POLLIN, 0});
        polled.push_back(w.get());
      }
      const Clock::time_point t = next_timer();
      if (t != Clock::time_point::max()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
        timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, 60000));
      }
    }
    const int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      obs::log_error("scheduler poll failed: {}", std::strerror(errno));
      return;
    }

    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &v, sizeof v);
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) read_worker(*polled[i - 1]);
    }

    const Clock::time_point now = Clock::now();
    for (auto& w : workers_) {
      if (w->state == WorkerState::kDead && w->respawn_at <= now) {
        spawn(*w);
      } else if (w->state != WorkerState::kDead && w->state != WorkerState::kIdle &&
                 w->deadline <= now) {
        const char* why = w->state == WorkerState::kStarting ? "did not start in time"
                                                             : "missed its segment deadline";
        on_worker_exit(*w, why);
      }
    }
    dispatch();
  }
}

Scheduler::Clock::time_point Scheduler::next_timer() const {
  Clock::time_point t = Clock::time_point::max();
  for (const auto& w : workers_) {
    if (w->state == WorkerState::kDead)
      t = std::min(t, w->respawn_at);
    else if (w->state != WorkerState::kIdle)
      t = std::min(t, w->deadline);
  }
  return t;
}

void Scheduler::spawn(Worker& w) {
  try {
    w.proc = spawn_worker(config_.worker_exe, w.engine);
    w.state = WorkerState::kStarting;
    w.deadline = Clock::now() + config_.startup_timeout;
    w.in = worker::FrameBuffer();
  } catch (const std::exception& e) {
    obs::log_error("engine {}: cannot start worker: {}", w.engine, e.what());
    w.state = WorkerState::kDead;
    w.respawn_at = Clock::now() + std::chrono::seconds(5);
  }
}

void Scheduler::read_worker(Worker& w) {
  // A bounded number of reads per wake-up, so one fast worker cannot starve the others; poll
  // reports the rest at once.
  for (int reads = 0; reads < 16; ++reads) {
    auto space = w.in.prepare();
    const ssize_t n = ::read(w.proc.fd, space.data(), space.size());
    if (n > 0) {
      w.in.commit(static_cast<std::size_t>(n));
      try {
        while (auto frame = w.in.next()) {
          handle_frame(w, *frame);
          if (w.state == WorkerState::kDead) return;
        }
      } catch (const std::exception& e) {
        on_worker_exit(w, e.what());
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    on_worker_exit(w, n == 0 ? "exited" : std::strerror(errno));
    return;
  }
}

void Scheduler::handle_frame(Worker& w, const worker::FrameView& frame) {
  switch (frame.type) {
    case FrameType::kHello: {
      worker::Hello hello = worker::decode_hello(frame.payload);
      if (w.state != WorkerState::kStarting) throw Error(ErrorCode::kInternal, "second hello");
      w.state = WorkerState::kIdle;
      w.deadline = Clock::time_point::max();
      if (engines_.count(w.engine) == 0) {
        obs::log_info("engine {}: {} voices at {} Hz", w.engine, hello.voices.size(),
                      hello.sample_rate);
        engines_[w.engine] = EngineInfo{w.engine, hello.sample_rate, std::move(hello.voices),
                                        std::move(hello.variants), hello.caps};
        started_cv_.notify_all();
      }
      return;
    }
    case FrameType::kAudio: {
      std::string_view pcm;
      const std::uint64_t job = worker::decode_audio(frame.payload, pcm);
      if (w.state != WorkerState::kBusy || job != w.job_id) return;  // a cancelled job's tail
      auto it = requests_.find(w.request_id);
      if (it != requests_.end()) on_audio(it->second, w.segment, pcm);
      return;
    }
    case FrameType::kMark: {
      const worker::WordMark mark = worker::decode_mark(frame.payload);
      if (w.state != WorkerState::kBusy || mark.job_id != w.job_id) return;
      auto it = requests_.find(w.request_id);
      if (it != requests_.end()) on_word(it->second, w.segment, mark);
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
      if (job != w.job_id) throw Error(ErrorCode::kInternal, "done for a job it does not run");
      const bool was_busy = w.state == WorkerState::kBusy;
      w.state = WorkerState::kIdle;
      w.deadline = Clock::time_point::max();
      w.failures = 0;
      ++w.segments_done;
      auto it = requests_.find(w.request_id);
      if (it == requests_.end()) return;
      Request& r = it->second;
      --r.running;
      if (!was_busy || r.cancelled) {
        finish_if_idle(r.id);
      } else if (!error.empty()) {
        fail_request(r, "segment " + std::to_string(w.segment) + " failed: " + error);
      } else {
        ++counters_.segments_done;
        on_segment_done(r, w.segment);
      }
      return;
    }
    default:
      throw Error(ErrorCode::kInternal, "unexpected frame from worker");
  }
}

void Scheduler::on_worker_exit(Worker& w, const char* why) {
  const bool had_job = w.state == WorkerState::kBusy || w.state == WorkerState::kCancelling;
  const bool was_busy = w.state == WorkerState::kBusy;
  obs::log_warn("engine {}: worker {} {}", w.engine, w.proc.pid, why);
  stop_worker(w.proc);
  w.state = WorkerState::kDead;
  ++counters_.worker_restarts;
  // Back off only when workers die without doing any work (a broken engine), so a killed
  // worker comes back at once but a crash loop does not spin.
  const int f = std::min(w.failures, 6);
  w.respawn_at = Clock::now() + (f == 0 ? std::chrono::milliseconds(0)
                                        : std::chrono::milliseconds(100 << (f - 1)));
  ++w.failures;

  if (!had_job) return;
  auto it = requests_.find(w.request_id);
  if (it == requests_.end()) return;
  Request& r = it->second;
  --r.running;
  if (!was_busy || r.cancelled) {
    finish_if_idle(r.id);
    return;
  }
  Segment& seg = r.segments[w.segment];
  if (++seg.attempts >= 2) {
    fail_request(r, "segment " + std::to_string(w.segment) + " failed twice: worker " + why);
    return;
  }
  // Retry on a fresh worker. Whatever the client already heard of this segment is skipped in
  // the retry's output, so nothing plays twice.
  ++counters_.segments_retried;
  seg.state = SegmentState::kPending;
  seg.pcm.clear();
  seg.full.clear();
  seg.skip = seg.delivered;
  seg.words_seen = 0;
  seg.words.clear();
}

void Scheduler::on_audio(Request& r, std::size_t index, std::string_view pcm) {
  Segment& seg = r.segments[index];
  if (cache_.enabled()) seg.full.append(pcm);
  if (seg.skip > 0) {
    const std::size_t n = std::min(seg.skip, pcm.size());
    seg.skip -= n;
    pcm.remove_prefix(n);
    if (pcm.empty()) return;
  }
  if (index == r.head) {
    r.stream->push(pcm);
    seg.delivered += pcm.size();
  } else {
    seg.pcm.append(pcm);
  }
}

void Scheduler::on_word(Request& r, std::size_t index, const worker::WordMark& mark) {
  Segment& seg = r.segments[index];
  // A retried segment reports its words again; the client already has the first ones.
  if (++seg.words_seen <= seg.words_sent) return;
  if (seg.stream_offset == SIZE_MAX)
    seg.words.push_back(mark);
  else
    send_word(r, index, mark);
}

void Scheduler::send_word(Request& r, std::size_t index, const worker::WordMark& mark) {
  Segment& seg = r.segments[index];
  ++seg.words_sent;
  r.stream->mark_at(
      sched::AudioMark{AudioMark::Kind::kWord, index,
                       seg.stream_offset + 2 * static_cast<std::size_t>(mark.sample_offset),
                       mark.text_offset, mark.text_length});
}

void Scheduler::on_segment_done(Request& r, std::size_t index) {
  Segment& seg = r.segments[index];
  seg.state = SegmentState::kDone;
  if (cache_.enabled() && !seg.full.empty()) {
    cache_.insert(SynthesisCache::key(r.spec.engine, r.spec.voice, r.spec.params, seg.text),
                  std::move(seg.full));
    seg.full = std::string();
  }
  if (index == r.head) advance(r);
}

void Scheduler::mark_starts(Request& r) {
  while (r.started < r.segments.size() && r.started <= r.head) {
    const std::size_t i = r.started++;
    Segment& seg = r.segments[i];
    r.stream->mark(AudioMark::Kind::kSegmentStart, i);
    seg.stream_offset = r.stream->pushed_bytes();
    for (const worker::WordMark& m : seg.words) send_word(r, i, m);
    seg.words.clear();
  }
}

void Scheduler::advance(Request& r) {
  for (;;) {
    if (r.head == r.segments.size()) {
      if (r.spec.open) return;  // more text may come
      ++counters_.requests_completed;
      r.stream->finish();
      requests_.erase(r.id);
      return;
    }
    Segment& seg = r.segments[r.head];
    if (seg.state == SegmentState::kDone) {
      r.stream->push(seg.cached ? *seg.cached : seg.pcm);
      seg.pcm = std::string();
      seg.cached.reset();
      r.stream->mark(AudioMark::Kind::kSegmentEnd, r.head);
      ++r.head;
      mark_starts(r);
      continue;
    }
    if (seg.state == SegmentState::kRunning && !seg.pcm.empty()) {
      // This segment streams live from now on; first hand over what it produced so far.
      seg.delivered += seg.pcm.size();
      r.stream->push(seg.pcm);
      seg.pcm = std::string();
    }
    return;
  }
}

void Scheduler::fail_request(Request& r, const std::string& message) {
  obs::log_warn("request {}: {}", r.id, message);
  ++counters_.requests_failed;
  r.stream->fail(message);
  cancel_request(r);
}

void Scheduler::cancel_request(Request& r) {
  r.cancelled = true;
  for (auto& w : workers_) {
    if (w->state == WorkerState::kBusy && w->request_id == r.id) {
      std::string frame;
      worker::encode(worker::Cancel{w->job_id}, frame);
      w->state = WorkerState::kCancelling;
      // A worker that ignores the cancel is killed soon after.
      w->deadline = std::min(w->deadline, Clock::now() + std::chrono::seconds(2));
      send(*w, frame);
    }
  }
  finish_if_idle(r.id);
}

void Scheduler::finish_if_idle(std::uint64_t request_id) {
  auto it = requests_.find(request_id);
  if (it != requests_.end() && it->second.cancelled && it->second.running == 0) requests_.erase(it);
}

std::size_t Scheduler::held_bytes(const Request& r) const {
  std::size_t n = r.stream->buffered_bytes();
  for (std::size_t i = r.head; i < r.segments.size(); ++i)
    n += r.segments[i].pcm.size() + (r.segments[i].cached ? r.segments[i].cached->size() : 0);
  return n;
}

// Segments in a request's window that are cached complete without a worker. Each segment is
// looked up once, when it first enters the window.
void Scheduler::serve_from_cache() {
  if (!cache_.enabled()) return;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, r] : requests_) ids.push_back(id);
  for (const std::uint64_t id : ids) serve_from_cache(id);
}

void Scheduler::serve_from_cache(std::uint64_t id) {
  // Serving the head moves the window, which may bring more cached segments into it.
  for (;;) {
    auto it = requests_.find(id);
    if (it == requests_.end() || it->second.cancelled) return;
    Request& r = it->second;
    const std::size_t last = std::min(r.segments.size(), r.head + 1 + config_.lookahead);
    bool head_done = false;
    for (std::size_t i = r.head; i < last; ++i) {
      Segment& seg = r.segments[i];
      if (seg.state != SegmentState::kPending || seg.cache_checked) continue;
      if (held_bytes(r) > config_.max_buffered_bytes) {
        r.stream->mark_throttled();
        break;
      }
      seg.cache_checked = true;
      auto hit =
          cache_.find(SynthesisCache::key(r.spec.engine, r.spec.voice, r.spec.params, seg.text));
      if (!hit) continue;
      seg.state = SegmentState::kDone;
      seg.cached = std::move(hit);
      head_done = head_done || i == r.head;
    }
    if (!head_done) return;
    advance(r);  // may complete and erase the request
  }
}

void Scheduler::dispatch() {
  serve_from_cache();
  for (auto& w : workers_) {
    if (w->state != WorkerState::kIdle) continue;
    // Pass 1: the head segment of some request (its listener is waiting for it).
    // Pass 2: look-ahead segments. Both passes go round-robin from the request served last.
    bool started = false;
    for (int pass = 0; pass < 2 && !started; ++pass) {
      auto begin = requests_.upper_bound(rr_cursor_);
      for (std::size_t k = 0; k < requests_.size() && !started; ++k, ++begin) {
        if (begin == requests_.end()) begin = requests_.begin();
        Request& r = begin->second;
        if (r.cancelled || r.spec.engine != w->engine) continue;
        // Look-ahead waits until the head segment has produced audio: on a busy machine a
        // parallel synthesis would otherwise compete with the one the listener waits for.
        if (pass == 1 && r.head < r.segments.size() &&
            r.segments[r.head].state == SegmentState::kRunning &&
            r.segments[r.head].delivered == 0 && r.segments[r.head].pcm.empty())
          continue;
        const std::size_t window = pass == 0 ? 1 : 1 + config_.lookahead;
        const std::size_t last = std::min(r.segments.size(), r.head + window);
        for (std::size_t i = r.head; i < last; ++i) {
          if (r.segments[i].state != SegmentState::kPending) continue;
          if (held_bytes(r) > config_.max_buffered_bytes) {
            r.stream->mark_throttled();
            break;
          }
          // The client may have read (and lowered held_bytes) since serve_from_cache() stopped
          // at the bound; a segment it has not looked up yet waits for the next pass, which
          // the read wakes, so cached audio is never synthesized again.
          if (cache_.enabled() && !r.segments[i].cache_checked) {
            r.stream->mark_throttled();
            break;
          }
          started = start_segment(*w, r, i);
          if (started) rr_cursor_ = r.id;
          break;
        }
      }
    }
  }
}

bool Scheduler::start_segment(Worker& w, Request& r, std::size_t index) {
  worker::SynthesizeJob job;
  job.job_id = next_job_id_++;
  job.voice = r.spec.voice;
  job.params = r.spec.params;
  job.text = r.segments[index].text;
  std::string frame;
  worker::encode(job, frame);
  w.job_id = job.job_id;
  w.request_id = r.id;
  w.segment = index;
  w.state = WorkerState::kBusy;
  w.deadline = Clock::now() + config_.segment_timeout;
  r.segments[index].state = SegmentState::kRunning;
  ++r.running;
  send(w, frame);
  return true;
}

void Scheduler::send(Worker& w, const std::string& frame) {
  std::size_t off = 0;
  while (off < frame.size()) {
    const ssize_t n = ::send(w.proc.fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Frames to a worker are small and it reads them promptly; wait briefly for room.
      pollfd p{w.proc.fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) > 0) continue;
    }
    // The worker is gone or stuck; its death is handled like any other.
    ::kill(w.proc.pid, SIGKILL);
    return;
  }
}

}  // namespace lector::sched
