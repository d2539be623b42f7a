#include "sched/audio_stream.h"

#include <algorithm>
#include <iterator>

namespace lector::sched {

AudioStream::AudioStream(std::uint64_t id, int sample_rate, std::function<void()> resume)
    : id_(id), sample_rate_(sample_rate), resume_(std::move(resume)) {}

AudioStream::State AudioStream::take(std::string& out, std::vector<AudioMark>* marks,
                                     std::size_t max_bytes) {
  bool wake_owner = false;
  State state;
  {
    std::lock_guard lock(mu_);
    // Whole pieces while they fit; a piece is cut only when it alone is over the limit, so a
    // client that keeps up gets each piece by a swap and nothing is copied.
    const std::size_t limit = max_bytes & ~std::size_t{1};
    std::size_t n = 0;
    while (!pieces_.empty() && n < limit) {
      std::string& front = pieces_.front();
      const std::size_t available = front.size() - front_offset_;
      if (available > limit - n) {
        if (n > 0) break;
        out.append(front, front_offset_, limit);
        front_offset_ += limit;
        n = limit;
        break;
      }
      if (front_offset_ == 0 && out.empty())
        out.swap(front);
      else
        out.append(front, front_offset_, available);
      n += available;
      front_offset_ = 0;
      pieces_.pop_front();
    }
    buffered_ -= n;
    // Marks up to the end of what was taken go with it.
    const std::size_t taken_end = pushed_ - buffered_;
    bool moved_marks = false;
    while (!marks_.empty() && marks_.front().offset <= taken_end) {
      if (marks != nullptr) marks->push_back(marks_.front());
      marks_.pop_front();
      moved_marks = true;
    }
    if (n > 0 || (moved_marks && marks != nullptr)) {
      if (n > 0) {
        wake_owner = throttled_;
        throttled_ = false;
      }
      state = State::kData;
    } else if (buffered_ > 0) {
      state = State::kData;  // max_bytes was 0 or 1: nothing fits, but there is data
    } else if (failed_) {
      state = State::kFailed;
    } else if (finished_ && marks_.empty()) {
      state = State::kEnd;
    } else {
      state = State::kPending;
    }
  }
  if (wake_owner && resume_) resume_();
  return state;
}

void AudioStream::set_waker(std::function<void()> waker) {
  std::lock_guard lock(mu_);
  waker_ = std::move(waker);
}

bool AudioStream::close_consumer() {
  std::lock_guard lock(mu_);
  closed_ = true;
  return !finished_ && !failed_;
}

void AudioStream::mark_at(const AudioMark& m) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    // Keep marks ordered by offset: take() hands them out up to the audio it hands out.
    auto it = marks_.end();
    while (it != marks_.begin() && std::prev(it)->offset > m.offset) --it;
    marks_.insert(it, m);
  }
  notify();
}

std::size_t AudioStream::pushed_bytes() const {
  std::lock_guard lock(mu_);
  return pushed_;
}

std::string AudioStream::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void AudioStream::push(std::string_view pcm) {
  if (pcm.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    pieces_.emplace_back(pcm);
    buffered_ += pcm.size();
    pushed_ += pcm.size();
  }
  notify();
}

void AudioStream::mark(AudioMark::Kind kind, std::size_t segment) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    marks_.push_back(AudioMark{kind, segment, pushed_});
  }
  notify();
}

void AudioStream::finish() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  notify();
}

void AudioStream::fail(std::string message) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    failed_ = true;
    error_ = std::move(message);
  }
  notify();
}

std::size_t AudioStream::buffered_bytes() const {
  std::lock_guard lock(mu_);
  return buffered_;
}

void AudioStream::mark_throttled() {
  std::lock_guard lock(mu_);
  throttled_ = true;
}

void AudioStream::notify() {
  std::function<void()> waker;
  {
    std::lock_guard lock(mu_);
    waker = waker_;
  }
  if (waker) waker();
}

void AudioStream::mark_dispatched() {
  std::int64_t expected = -1;
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - created_).count();
  dispatched_ns_.compare_exchange_strong(expected, static_cast<std::int64_t>(ns),
                                         std::memory_order_relaxed);
}

double AudioStream::queue_wait_seconds() const {
  const std::int64_t ns = dispatched_ns_.load(std::memory_order_relaxed);
  return ns < 0 ? -1.0 : static_cast<double>(ns) / 1e9;
}

}  // namespace lector::sched
