#include "worker/worker_main.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "engine/engine.h"
#include "engine/remote_engine.h"
#include "worker/job_framer.h"
#include "worker/parallel_worker.h"
#include "worker/protocol.h"
#include "worker/socket_io.h"

namespace lector::worker {
namespace {

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}

  bool send(const std::string& frame) { return send_all(fd_, frame.data(), frame.size()); }

  // Reads what is available (blocking when `wait`); false on EOF or error.
  bool fill(bool wait) {
    if (!wait) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return true;
    }
    auto space = in_.prepare();
    for (;;) {
      const ssize_t n = ::read(fd_, space.data(), space.size());
      if (n > 0) {
        in_.commit(static_cast<std::size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
  }

  FrameBuffer& in() { return in_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  FrameBuffer in_;
};

// Sends engine audio as Audio frames (job_framer.h) and watches the socket for a Cancel of
// this job.
class JobSink final : public engine::AudioSink {
  // The frame writer given to the framer (job_framer.h); defined first, as its return type
  // is deduced.
  auto out() {
    return [this](const std::string& frame, const char* data, std::size_t n) {
      return send_all(conn_.fd(), frame.data(), frame.size(), data, n);
    };
  }

 public:
  JobSink(Connection& conn, std::uint64_t job_id) : conn_(conn), job_id_(job_id), framer_(job_id) {}

  bool on_audio(std::span<const std::int16_t> pcm) override {
    if (cancelled_ || lost_) return false;
    if (!framer_.audio(pcm, out())) lost_ = true;
    check_cancel();
    return !cancelled_ && !lost_;
  }

  void on_word(std::size_t text_offset, std::size_t text_length,
               std::uint64_t sample_offset) override {
    if (cancelled_ || lost_) return;
    framer_.word(text_offset, text_length, sample_offset);
  }

  bool keep_going() override {
    flush();
    if (!cancelled_ && !lost_) check_cancel();
    return !cancelled_ && !lost_;
  }

  // Sends what is batched; call before Done.
  void flush() {
    if (cancelled_ || lost_) return;
    if (!framer_.flush(out())) lost_ = true;
  }

  // Sends what is batched (unless cancelled), then `tail`: the job's Done or Error frame.
  bool finish(const std::string& tail) {
    if (lost_) return false;
    if (cancelled_) return conn_.send(tail);
    return framer_.finish(tail, out());
  }

  bool cancelled() const { return cancelled_; }
  bool lost() const { return lost_; }

 private:
  void check_cancel() {
    if (!conn_.fill(false)) {
      lost_ = true;
      return;
    }
    while (auto frame = conn_.in().next()) {
      // The server sends the next job only after this one's Done, so while a job runs
      // the only frame that can arrive is a Cancel.
      if (frame->type == FrameType::kCancel && decode_cancel(frame->payload).job_id == job_id_)
        cancelled_ = true;
    }
  }

  Connection& conn_;
  std::uint64_t job_id_;
  JobFramer framer_;
  bool cancelled_ = false;
  bool lost_ = false;
};

std::unique_ptr<engine::Engine> make_engine(const std::string& name, const RemoteOptions& remote,
                                            const engine::NeuralOptions& neural) {
  if (remote.url.empty()) return engine::make_engine(name, neural);
  engine::RemoteConfig config;
  config.name = name;
  config.base_url = remote.url;
  if (!remote.model.empty()) config.model = remote.model;
  config.key = remote.key;
  config.timeouts.idle = std::chrono::seconds(remote.timeout_s);
  return std::make_unique<engine::RemoteEngine>(std::move(config));
}

// An engine that cannot serve: its worker stays up so that it is not respawned in a loop, and
// answers any job (the server sends none, having no voice of it) with the reason.
int serve_unavailable(Connection& conn, const std::string& reason) {
  std::string out;
  for (;;) {
    std::optional<FrameView> frame = conn.in().next();
    if (!frame) {
      if (!conn.fill(true)) return 0;
      continue;
    }
    if (frame->type != FrameType::kSynthesize) continue;
    out.clear();
    encode(ErrorFrame{decode_synthesize(frame->payload).job_id, reason}, out);
    if (!conn.send(out)) return 0;
  }
}

}  // namespace

int run_worker(const std::string& engine_name, int fd, const RemoteOptions& remote,
               const engine::NeuralOptions& neural) {
  // The server may vanish mid-write; we want EPIPE, not death by signal.
  std::signal(SIGPIPE, SIG_IGN);
  Connection conn(fd);

  std::unique_ptr<engine::Engine> engine;
  try {
    engine = make_engine(engine_name, remote, neural);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector worker: %s\n", e.what());
    return 2;
  }

  std::string out;
  const std::string unavailable = engine->unavailable();
  if (!unavailable.empty()) {
    encode(
        Hello{engine->name(), engine->sample_rate(), {}, {}, engine->capabilities(), unavailable},
        out);
    if (!conn.send(out)) return 0;
    return serve_unavailable(conn, unavailable);
  }
  const engine::Capabilities caps = engine->capabilities();
  encode(
      Hello{engine->name(), engine->sample_rate(), engine->voices(), engine->variants(), caps, {}},
      out);
  if (!conn.send(out)) return 0;
  if (caps.parallel_jobs > 1) return run_parallel(*engine, conn.fd(), caps.parallel_jobs);

  for (;;) {
    std::optional<FrameView> frame = conn.in().next();
    if (!frame) {
      if (!conn.fill(true)) return 0;  // the server closed the socket: exit quietly
      continue;
    }
    if (frame->type != FrameType::kSynthesize) continue;  // a stale Cancel: nothing runs

    const SynthesizeJob job = decode_synthesize(frame->payload);
    JobSink sink(conn, job.job_id);
    out.clear();
    try {
      engine->synthesize(job.voice, job.params, job.text, sink);
      encode(Done{job.job_id, sink.cancelled()}, out);
    } catch (const std::exception& e) {
      encode(ErrorFrame{job.job_id, e.what()}, out);
    }
    if (!sink.finish(out)) return 0;
  }
}

}  // namespace lector::worker
