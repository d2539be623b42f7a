#include "fake_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "worker/protocol.h"

namespace lector::sched::fake {

using Kind = FakeEvent::Kind;
using worker::FrameType;

Gate::Gate() : fd_(::eventfd(0, EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

Gate::~Gate() {
  ::close(fd_);
}

void Gate::open() {
  // Never read back: the eventfd stays readable, so the gate stays open.
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

std::string fake_chunk(const std::string& text, int chunk, std::size_t samples) {
  std::uint32_t h = 2166136261u;  // FNV-1a: the same tag for the same text in every run
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const std::uint16_t tag = static_cast<std::uint16_t>((h & 0x7f) << 8);
  std::string pcm;
  pcm.reserve(2 * samples);
  for (std::size_t i = 0; i < samples; ++i) {
    const std::size_t position = static_cast<std::size_t>(chunk) * samples + i;
    const std::uint16_t s = static_cast<std::uint16_t>(tag | (position & 0xff));
    pcm.push_back(static_cast<char>(s & 0xff));
    pcm.push_back(static_cast<char>(s >> 8));
  }
  return pcm;
}

std::string fake_audio(const std::string& text, const JobPlan& plan) {
  std::string pcm;
  for (int k = 0; k < plan.chunks; ++k) pcm += fake_chunk(text, k, plan.chunk_samples);
  return pcm;
}

std::size_t count(const Events& events, Kind kind, const std::string& text) {
  std::size_t n = 0;
  for (const FakeEvent& e : events)
    if (e.kind == kind && (text.empty() || e.text == text)) ++n;
  return n;
}

std::size_t first(const Events& events, Kind kind, const std::string& text) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i].kind == kind && (text.empty() || events[i].text == text)) return i;
  return SIZE_MAX;
}

// One fake worker's end of the socket (blocking) and the frames read from it.
struct FakeFleet::Link {
  int fd;
  worker::FrameBuffer in;

  // Reads once; false when the scheduler closed its end (or the socket broke).
  bool fill() {
    auto space = in.prepare();
    for (;;) {
      const ssize_t n = ::read(fd, space.data(), space.size());
      if (n > 0) {
        in.commit(static_cast<std::size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
  }
  bool readable_now() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  bool send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return false;
      }
    }
    return true;
  }
};

FakeFleet::FakeFleet() = default;

FakeFleet::~FakeFleet() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void FakeFleet::set_planner(Planner planner) {
  std::lock_guard lock(mu_);
  planner_ = std::move(planner);
}

WorkerPool::Spawner FakeFleet::spawner() {
  return [this](const std::string&) { return spawn(); };
}

SpawnedWorker FakeFleet::spawn() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  // The pool expects its end non-blocking, as spawn_worker() makes it.
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::lock_guard lock(mu_);
  const int index = static_cast<int>(threads_.size());
  threads_.emplace_back([this, index, fd = fds[1]] { run(index, fd); });
  return SpawnedWorker{-1, fds[0]};
}

Events FakeFleet::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

bool FakeFleet::wait(const std::function<bool(const Events&)>& done,
                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(events_); });
}

bool FakeFleet::wait_count(Kind kind, const std::string& text, std::size_t n,
                           std::chrono::milliseconds timeout) const {
  return wait([&](const Events& events) { return count(events, kind, text) >= n; }, timeout);
}

void FakeFleet::log(FakeEvent event) {
  std::lock_guard lock(mu_);
  events_.push_back(std::move(event));
  cv_.notify_all();
}

void FakeFleet::run(int index, int fd) {
  Link link{fd, {}};
  std::string out;
  worker::encode(
      worker::Hello{kEngine,
                    kSampleRate,
                    {{"v1", "Voice One", "en", Gender::kFemale, "fake/v1", 0},
                     {"v2", "Voice Two", "de", Gender::kMale, "fake/v2", 0}},
                    {},
                    {.word_timings = true, .default_workers = 1, .memory_mb_per_worker = 1},
                    {}},
      out);
  log({Kind::kHello, index, {}, 0, 0, 0});
  bool alive = link.send(out);
  while (alive) {
    std::optional<worker::FrameView> frame = link.in.next();
    if (!frame) {
      if (!link.fill()) {
        log({Kind::kKilled, index, {}, 0, 0, 0});
        break;
      }
      continue;
    }
    if (frame->type != FrameType::kSynthesize) continue;  // a Cancel that came too late
    const worker::SynthesizeJob job = worker::decode_synthesize(frame->payload);
    int attempt = 0;
    Planner planner;
    {
      std::lock_guard lock(mu_);
      attempt = attempts_[job.text]++;
      planner = planner_;
    }
    const JobPlan plan = planner ? planner(job.text, attempt) : JobPlan{};
    log({Kind::kStarted, index, job.text, job.job_id, attempt, 0});
    alive = run_job(index, fd, link, job.text, job.job_id, attempt, plan);
  }
  ::close(fd);
}

// Runs one job as `plan` says; false when the worker is gone (it died or was killed).
bool FakeFleet::run_job(int index, int fd, Link& link, const std::string& text, std::uint64_t job,
                        int attempt, const JobPlan& plan) {
  const auto event = [&](Kind kind, std::size_t bytes = 0) {
    log({kind, index, text, job, attempt, bytes});
  };
  bool cancelled = false;
  // Reads what arrived; false when the socket was closed.
  const auto receive = [&]() -> bool {
    if (!link.fill()) return false;
    while (auto frame = link.in.next()) {
      if (frame->type == FrameType::kCancel &&
          worker::decode_cancel(frame->payload).job_id == job) {
        event(Kind::kCancelReceived);
        if (!plan.ignore_cancel) cancelled = true;
      }
    }
    return true;
  };
  const auto killed = [&] {
    event(Kind::kKilled);
    return false;
  };

  std::string out;
  for (int k = 0; k <= plan.chunks && !cancelled; ++k) {
    if (auto gate = plan.gates.find(k); gate != plan.gates.end()) {
      event(Kind::kStalled);
      while (!cancelled) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {gate->second->fd(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return killed();
        }
        if (fds[0].revents != 0) {
          if (!receive()) return killed();
          continue;
        }
        if ((fds[1].revents & POLLIN) != 0) break;
      }
      if (cancelled) break;
    }
    if (k == plan.chunks) break;
    if (k == plan.die_before) {
      event(Kind::kDied);
      return false;
    }
    out.clear();
    const std::uint64_t sample = static_cast<std::uint64_t>(k) * plan.chunk_samples;
    if (plan.word_marks)
      worker::encode(worker::WordMark{job, static_cast<std::uint32_t>(k), 1, sample}, out);
    const std::string pcm = fake_chunk(text, k, plan.chunk_samples);
    worker::encode_audio_header(job, pcm.size(), out);
    out += pcm;
    event(Kind::kChunk, pcm.size());
    if (!link.send(out)) return killed();
    // Like the real worker: look for a Cancel after each chunk, without waiting for one.
    if (link.readable_now() && !receive()) return killed();
  }

  out.clear();
  if (cancelled) {
    event(Kind::kCancelled);
    worker::encode(worker::Done{job, true}, out);
  } else if (plan.error) {
    event(Kind::kError);
    worker::encode(worker::ErrorFrame{job, "fake failure"}, out);
  } else {
    event(Kind::kDone);
    worker::encode(worker::Done{job, false}, out);
  }
  return link.send(out) || killed();
}

// --- the client's side -------------------------------------------------------------------

Reader::Reader(RequestHandle& handle) : handle_(handle), signal_(std::make_shared<Signal>()) {
  handle_.set_waker([s = signal_] {
    std::lock_guard lock(s->mu);
    ++s->wakes;
    s->cv.notify_all();
  });
}

Reader::State Reader::read_until(std::size_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + kLiveness;
  while (!over() && audio.size() < bytes) {
    std::uint64_t seen;
    {
      std::lock_guard lock(signal_->mu);
      seen = signal_->wakes;
    }
    state = handle_.take(audio, &marks);
    if (state != State::kPending) continue;
    // A wake between the take and here moved `wakes` on: no wake-up is lost.
    std::unique_lock lock(signal_->mu);
    if (!signal_->cv.wait_until(lock, deadline, [&] { return signal_->wakes != seen; })) {
      ADD_FAILURE() << "no audio within the liveness bound; read " << audio.size();
      break;
    }
  }
  return state;
}

Reader::State Reader::poll() {
  if (!over()) state = handle_.take(audio, &marks);
  return state;
}

std::vector<std::string> texts(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

int index_of(const std::string& text) {
  return std::stoi(text.substr(text.find_first_of("0123456789")));
}

std::string audio_of(const std::vector<std::string>& segments, const JobPlan& plan) {
  std::string pcm;
  for (const std::string& s : segments) pcm += fake_audio(s, plan);
  return pcm;
}

::testing::AssertionResult same_audio(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return ::testing::AssertionFailure() << "audio differs at byte " << i << " (got " << got.size()
                                       << " bytes, want " << want.size() << ")";
}

void expect_marks(const std::vector<AudioMark>& marks, const std::vector<std::string>& segments,
                  const JobPlan& plan) {
  std::vector<AudioMark> want;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    want.push_back({AudioMark::Kind::kSegmentStart, i, offset});
    for (int k = 0; k < plan.chunks; ++k)
      want.push_back({AudioMark::Kind::kWord, i,
                      offset + 2 * static_cast<std::size_t>(k) * plan.chunk_samples,
                      static_cast<std::size_t>(k), 1});
    offset += fake_audio(segments[i], plan).size();
    want.push_back({AudioMark::Kind::kSegmentEnd, i, offset});
  }
  ASSERT_EQ(marks.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(marks[i].kind, want[i].kind) << "mark " << i;
    EXPECT_EQ(marks[i].segment, want[i].segment) << "mark " << i;
    EXPECT_EQ(marks[i].offset, want[i].offset) << "mark " << i;
    EXPECT_EQ(marks[i].text_offset, want[i].text_offset) << "mark " << i;
  }
}

std::size_t busy_workers(const SchedulerStats& s) {
  return static_cast<std::size_t>(std::count_if(
      s.workers.begin(), s.workers.end(),
      [](const WorkerStatus& w) { return w.state == "busy" || w.state == "cancelling"; }));
}

bool all_idle(const SchedulerStats& s) {
  return std::all_of(s.workers.begin(), s.workers.end(),
                     [](const WorkerStatus& w) { return w.state == "idle"; });
}

// --- the fixture ----------------------------------------------------------------------------

SchedulerConfig SchedulerFixture::config() {
  SchedulerConfig c;
  c.lookahead = 4;
  c.max_requests = 16;
  return c;
}

void SchedulerFixture::start(int workers, SchedulerConfig c, int other) {
  c.workers = {{kEngine, workers}};
  if (other > 0) c.workers[kOther] = other;
  scheduler_ = std::make_unique<Scheduler>(c, fleet_.spawner());
  scheduler_->start();
  ASSERT_NE(scheduler_->engine(kEngine), nullptr);
  ASSERT_TRUE(wait_stats([&](const SchedulerStats& s) {
    return s.workers.size() == static_cast<std::size_t>(workers + other) && all_idle(s);
  }));
}

void SchedulerFixture::TearDown() {
  if (!scheduler_) return;
  EXPECT_TRUE(wait_stats([](const SchedulerStats& s) {
    return s.requests_active == 0 && s.requests_held == 0 && s.segments_queued == 0 && all_idle(s);
  })) << "the scheduler did not come back to idle";
  scheduler_->stop();
  scheduler_.reset();
}

bool SchedulerFixture::wait_stats(const std::function<bool(const SchedulerStats&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kLiveness;
  for (;;) {
    last_ = scheduler_->stats();
    if (done(last_)) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing only
  }
}

RequestHandle SchedulerFixture::submit(std::vector<std::string> segments, bool open,
                                       const std::string& engine) {
  SynthesisRequest r;
  r.engine = engine;
  r.voice = "v1";
  r.segments = std::move(segments);
  r.open = open;
  return scheduler_->submit(std::move(r));
}

void SchedulerFixture::plan(std::function<void(const std::string&, int, JobPlan&)> special,
                            JobPlan base) {
  fleet_.set_planner([special = std::move(special), base](const std::string& text, int attempt) {
    JobPlan p = base;
    if (special) special(text, attempt, p);
    return p;
  });
}

}  // namespace lector::sched::fake
