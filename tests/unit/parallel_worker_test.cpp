// The job threads of a worker whose engine runs several syntheses at once
// (worker/parallel_worker.h), driven over a real socketpair with the real test engine: jobs run
// at the same time, each frame arrives whole, a Cancel stops the job it names and no other, and
// closing the socket ends the worker.

#ifdef LECTOR_HAVE_TONE

#include "worker/parallel_worker.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>

#include "engine/tone_engine.h"
#include "worker/protocol.h"

namespace lector::worker {
namespace {

constexpr std::size_t kWordBytes = 16000 / 10 * 2;  // 100 ms of the 16 kHz voice, s16

struct JobSeen {
  std::size_t audio = 0;
  std::size_t marks = 0;
  bool done = false;
  bool cancelled = false;
};

// The server's end: sends frames, reads and decodes what the worker sends.
class Server {
 public:
  explicit Server(int fd) : fd_(fd) {}
  void send(const std::string& frame) {
    ASSERT_EQ(::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(frame.size()));
  }
  void synthesize(std::uint64_t id, const std::string& text) {
    std::string out;
    encode(SynthesizeJob{id, "tone", SynthParams{}, text}, out);
    send(out);
  }
  // Reads frames until `done()` holds; false when nothing comes for 10 s (a liveness guard).
  template <typename F>
  bool until(F done) {
    while (!done()) {
      while (auto frame = in_.next()) record(*frame);
      if (done()) return true;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return false;
      auto space = in_.prepare();
      const ssize_t n = ::read(fd_, space.data(), space.size());
      if (n <= 0) return false;
      in_.commit(static_cast<std::size_t>(n));
    }
    return true;
  }
  std::map<std::uint64_t, JobSeen> jobs;

 private:
  void record(const FrameView& frame) {
    switch (frame.type) {
      case FrameType::kAudio: {
        std::string_view pcm;
        const std::uint64_t id = decode_audio(frame.payload, pcm);
        jobs[id].audio += pcm.size();
        break;
      }
      case FrameType::kMark:
        ++jobs[decode_mark(frame.payload).job_id].marks;
        break;
      case FrameType::kDone: {
        const Done d = decode_done(frame.payload);
        jobs[d.job_id].done = true;
        jobs[d.job_id].cancelled = d.cancelled;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected frame " << static_cast<int>(frame.type);
    }
  }
  int fd_;
  FrameBuffer in_;
};

TEST(ParallelWorker, RunsJobsAtOnceAndCancelsOnlyTheOneNamed) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  engine::ToneEngine tone;
  int exit_code = -1;
  std::thread worker([&] { exit_code = run_parallel(tone, fds[1], 3); });
  Server server(fds[0]);

  // Two jobs held by their delays and a third that runs to its end meanwhile.
  server.synthesize(1, "one [delay:60000] more");
  server.synthesize(2, "two [delay:60000] more");
  server.synthesize(3, "three four");
  ASSERT_TRUE(server.until([&] {
    return server.jobs[1].audio == kWordBytes && server.jobs[2].audio == kWordBytes &&
           server.jobs[3].done;
  }));
  EXPECT_FALSE(server.jobs[1].done);
  EXPECT_FALSE(server.jobs[2].done);
  EXPECT_EQ(server.jobs[3].audio, 2 * kWordBytes);
  EXPECT_EQ(server.jobs[3].marks, 2u);
  EXPECT_FALSE(server.jobs[3].cancelled);

  // A Cancel stops the job it names; the other keeps waiting. A stale one changes nothing.
  std::string out;
  encode(Cancel{3}, out);
  encode(Cancel{1}, out);
  server.send(out);
  ASSERT_TRUE(server.until([&] { return server.jobs[1].done; }));
  EXPECT_TRUE(server.jobs[1].cancelled);
  EXPECT_FALSE(server.jobs[2].done);
  // A freed thread takes the next job.
  server.synthesize(4, "five");
  ASSERT_TRUE(server.until([&] { return server.jobs[4].done; }));
  EXPECT_EQ(server.jobs[4].audio, kWordBytes);
  EXPECT_FALSE(server.jobs[2].done);

  // The server going away stops the held job and ends the worker.
  ::close(fds[0]);
  worker.join();
  EXPECT_EQ(exit_code, 0);
  ::close(fds[1]);
}

}  // namespace
}  // namespace lector::worker

#endif  // LECTOR_HAVE_TONE
