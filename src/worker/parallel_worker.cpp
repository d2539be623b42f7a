#include "worker/parallel_worker.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "worker/job_framer.h"
#include "worker/protocol.h"
#include "worker/socket_io.h"

namespace lector::worker {
namespace {

class ParallelWorker {
 public:
  ParallelWorker(engine::Engine& engine, int fd) : engine_(engine), fd_(fd) {}

  int run(int jobs) {
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(jobs));
    for (int i = 0; i < jobs; ++i) threads.emplace_back([this] { job_loop(); });
    try {
      read_loop();
    } catch (const std::exception& e) {
      // A malformed frame from the server: stop like at end of file (the server kills us).
      std::fprintf(stderr, "lector worker: %s\n", e.what());
    }
    {
      // The server closed the socket: every job stops at its next chunk, queued ones never run.
      std::lock_guard lock(mu_);
      stopping_ = true;
      queue_.clear();
      for (auto& [id, flag] : cancels_) flag->store(true);
    }
    cv_.notify_all();
    for (std::thread& t : threads) t.join();
    return 0;
  }

  // A whole frame (header + optional payload), never interleaved with another thread's.
  bool send(const std::string& frame, const char* data = nullptr, std::size_t n = 0) {
    if (lost_.load()) return false;
    std::lock_guard lock(send_mu_);
    if (!send_all(fd_, frame.data(), frame.size(), data, n)) {
      lost_.store(true);
      return false;
    }
    return true;
  }
  bool lost() const { return lost_.load(); }

 private:
  struct Job {
    SynthesizeJob spec;
    std::shared_ptr<std::atomic<bool>> cancel;
  };

  void read_loop() {
    FrameBuffer in;
    for (;;) {
      std::optional<FrameView> frame = in.next();
      if (!frame) {
        auto space = in.prepare();
        const ssize_t n = ::read(fd_, space.data(), space.size());
        if (n > 0) {
          in.commit(static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          return;  // end of file or a broken socket: the server is gone
        }
        continue;
      }
      if (frame->type == FrameType::kSynthesize) {
        Job job{decode_synthesize(frame->payload), std::make_shared<std::atomic<bool>>(false)};
        {
          std::lock_guard lock(mu_);
          cancels_[job.spec.job_id] = job.cancel;
          queue_.push_back(std::move(job));
        }
        cv_.notify_one();
      } else if (frame->type == FrameType::kCancel) {
        const std::uint64_t id = decode_cancel(frame->payload).job_id;
        std::lock_guard lock(mu_);
        // A job that has already ended leaves no flag: its Cancel is stale.
        if (auto it = cancels_.find(id); it != cancels_.end()) it->second->store(true);
      }
    }
  }

  void job_loop();

  engine::Engine& engine_;
  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;                                                // mu_
  std::map<std::uint64_t, std::shared_ptr<std::atomic<bool>>> cancels_;  // mu_: queued, running
  bool stopping_ = false;                                                // mu_
  std::mutex send_mu_;
  std::atomic<bool> lost_{false};
};

// One job's audio out as Audio frames (job_framer.h), as the one-job loop's JobSink does
// (worker_main.cpp); its cancel flag is set by the main thread.
class ParallelSink final : public engine::AudioSink {
  // The frame writer given to the framer (job_framer.h); defined first, as its return type
  // is deduced. A failed send marks the worker lost (ParallelWorker::send).
  auto out() {
    return [this](const std::string& frame, const char* data, std::size_t n) {
      return worker_.send(frame, data, n);
    };
  }

 public:
  ParallelSink(ParallelWorker& worker, std::uint64_t job_id, const std::atomic<bool>& cancel)
      : worker_(worker), cancel_(cancel), framer_(job_id) {}

  bool on_audio(std::span<const std::int16_t> pcm) override {
    if (!running()) return false;
    framer_.audio(pcm, out());
    return running();
  }

  void on_word(std::size_t text_offset, std::size_t text_length,
               std::uint64_t sample_offset) override {
    if (running()) framer_.word(text_offset, text_length, sample_offset);
  }

  bool keep_going() override {
    flush();
    return running();
  }

  void flush() {
    if (running()) framer_.flush(out());
  }

  // Sends what is batched (unless cancelled), then `tail`: the job's Done or Error frame.
  void finish(const std::string& tail) {
    if (worker_.lost()) return;
    if (cancel_.load())
      worker_.send(tail);
    else
      framer_.finish(tail, out());
  }

  bool cancelled() const { return cancel_.load(); }

 private:
  bool running() const { return !cancel_.load() && !worker_.lost(); }

  ParallelWorker& worker_;
  const std::atomic<bool>& cancel_;
  JobFramer framer_;
};

void ParallelWorker::job_loop() {
  std::string out;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    ParallelSink sink(*this, job.spec.job_id, *job.cancel);
    out.clear();
    try {
      engine_.synthesize(job.spec.voice, job.spec.params, job.spec.text, sink);
      encode(Done{job.spec.job_id, sink.cancelled()}, out);
    } catch (const std::exception& e) {
      encode(ErrorFrame{job.spec.job_id, e.what()}, out);
    }
    {
      std::lock_guard lock(mu_);
      cancels_.erase(job.spec.job_id);
    }
    sink.finish(out);
  }
}

}  // namespace

int run_parallel(engine::Engine& engine, int fd, int jobs) {
  ParallelWorker worker(engine, fd);
  return worker.run(jobs);
}

}  // namespace lector::worker
