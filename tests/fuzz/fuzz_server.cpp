#include "fuzz_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "worker/protocol.h"

namespace lector::fuzz {
namespace {

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// The stand-in worker: Hello, then Audio + Done for every Synthesize; Cancels come too late
// to matter (the job is over by then) and are ignored, as a real worker ignores stale ones.
void run_worker(int fd) {
  std::string out;
  worker::encode(worker::Hello{"fake",
                               16000,
                               {{"en-us", "English", "en-US", Gender::kFemale, "fake/en", 0},
                                {"de", "German", "de", Gender::kMale, "fake/de", 22050},
                                {"he", "Hebrew", "he", Gender::kUnknown, "fake/he", 0}},
                               {"f1", "m2"},
                               {.word_timings = true, .default_workers = 2},
                               {}},
                 out);
  bool alive = send_all(fd, out);
  worker::FrameBuffer in;
  const std::string pcm(320, '\x01');
  while (alive) {
    std::optional<worker::FrameView> frame = in.next();
    if (!frame) {
      auto space = in.prepare();
      const ssize_t n = ::read(fd, space.data(), space.size());
      if (n <= 0) break;
      in.commit(static_cast<std::size_t>(n));
      continue;
    }
    if (frame->type != worker::FrameType::kSynthesize) continue;
    const worker::SynthesizeJob job = worker::decode_synthesize(frame->payload);
    out.clear();
    worker::encode_audio_header(job.job_id, pcm.size(), out);
    out += pcm;
    worker::encode(worker::Done{job.job_id, false}, out);
    alive = send_all(fd, out);
  }
  ::close(fd);
}

sched::SpawnedWorker spawn_fake(const std::string&) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::thread(run_worker, fds[1]).detach();
  return sched::SpawnedWorker{-1, fds[0]};
}

FuzzServer make() {
  sched::SchedulerConfig config;
  config.workers["fake"] = 2;
  config.max_requests = 64;
  // Deliberately leaked: see the header.
  auto* scheduler = new sched::Scheduler(config, spawn_fake);
  scheduler->start();
  api::ApiConfig api_config;
  api_config.default_engine = "fake";
  api_config.default_voice = "en-us";
  api_config.max_text_chars = 2000;
  api_config.quiet_flush = std::chrono::milliseconds(0);
  auto* api = new api::Api(*scheduler, api_config);
  return {scheduler, api};
}

}  // namespace

FuzzServer& fuzz_server() {
  static FuzzServer server = make();
  return server;
}

void check_no_request_leaked(const char* where) {
  const std::size_t active = fuzz_server().scheduler->stats().requests_active;
  if (active != 0) {
    std::fprintf(stderr, "%s: %zu request slot(s) still held after the session ended\n", where,
                 active);
    std::abort();
  }
}

}  // namespace lector::fuzz
