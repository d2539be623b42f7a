#pragma once
// The audio of one request, handed from the scheduler (producer) to a transport (consumer).
//
// Two interfaces over one buffer: AudioSource is what the consumer sees (through a
// RequestHandle), AudioSink what the scheduler's loop thread writes. AudioStream implements
// both; every method may be called from any thread (one mutex guards the buffer). The waker
// is called without the lock held, from the producer's thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lector::sched {

// A position in a request's audio: where a segment starts or ends, or a word. `offset` counts
// PCM bytes from the start of the request's audio.
struct AudioMark {
  enum class Kind { kSegmentStart, kSegmentEnd, kWord };
  Kind kind;
  std::size_t segment;
  std::size_t offset;
  // kWord: the word's place in the segment's text, in code points.
  std::size_t text_offset = 0;
  std::size_t text_length = 0;
};

// Consumer side.
class AudioSource {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kPending, kData, kEnd, kFailed };
  virtual ~AudioSource() = default;

  // Appends buffered PCM (s16le mono, at most `max_bytes`, an even number) to `out` and
  // returns kData, or tells why there is nothing: kPending (more will come), kEnd (all
  // delivered), kFailed (see error()). With `marks`, also moves the marks up to the end of
  // the taken audio there (a mark alone, with no new audio, also counts as kData); without,
  // marks are dropped.
  virtual State take(std::string& out, std::vector<AudioMark>* marks = nullptr,
                     std::size_t max_bytes = SIZE_MAX) = 0;
  // Called once new data or the end is available (from the producer's thread).
  virtual void set_waker(std::function<void()> waker) = 0;
  virtual std::string error() const = 0;
};

// Producer side: only the scheduler's loop thread calls these.
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  virtual void push(std::string_view pcm) = 0;
  virtual void mark(AudioMark::Kind kind, std::size_t segment) = 0;
  // A mark at an explicit offset, which may lie ahead of the audio pushed so far.
  virtual void mark_at(const AudioMark& mark) = 0;
  virtual std::size_t pushed_bytes() const = 0;
  // Unread audio held in the stream.
  virtual std::size_t buffered_bytes() const = 0;
  virtual void finish() = 0;
  virtual void fail(std::string message) = 0;
  // The scheduler withheld work because too much audio sits unread: the next take() that
  // frees room calls the resume callback (set at construction).
  virtual void mark_throttled() = 0;
  // The request's first segment went to a worker or came from the cache: its wait in the
  // queue is over. Only the first call counts.
  virtual void mark_dispatched() {}
};

class AudioStream final : public AudioSource, public AudioSink {
 public:
  // `resume` is called (from the consumer's thread, without the lock) when a take() frees
  // room after mark_throttled().
  AudioStream(std::uint64_t id, int sample_rate, std::function<void()> resume = {});

  std::uint64_t id() const { return id_; }
  int sample_rate() const { return sample_rate_; }
  Clock::time_point created() const { return created_; }
  // How long the request waited for its first segment to start; negative until it did.
  double queue_wait_seconds() const;

  State take(std::string& out, std::vector<AudioMark>* marks = nullptr,
             std::size_t max_bytes = SIZE_MAX) override;
  void set_waker(std::function<void()> waker) override;
  std::string error() const override;

  void push(std::string_view pcm) override;
  void mark(AudioMark::Kind kind, std::size_t segment) override;
  void mark_at(const AudioMark& mark) override;
  std::size_t pushed_bytes() const override;
  std::size_t buffered_bytes() const override;
  void finish() override;
  void fail(std::string message) override;
  void mark_throttled() override;
  void mark_dispatched() override;

  // The consumer is gone: later pushes are dropped. Returns false when the stream had
  // already ended (finished or failed), so there is nothing to cancel.
  bool close_consumer();

 private:
  void notify();

  const std::uint64_t id_;
  const int sample_rate_;
  const std::function<void()> resume_;
  const Clock::time_point created_ = Clock::now();
  // Nanoseconds from created_ to the first dispatch, -1 before it: written once by the loop,
  // read by the consumer, so an atomic rather than the buffer's mutex.
  std::atomic<std::int64_t> dispatched_ns_{-1};

  mutable std::mutex mu_;
  // Unread audio as the pieces pushed, each its own string (the front one read from
  // front_offset_ on): a take hands the front piece over whole when it can, and memory held is
  // what is unread, where one growing string kept the largest size it ever had for as long as
  // the client stayed connected.
  std::deque<std::string> pieces_;
  std::size_t front_offset_ = 0;
  std::size_t buffered_ = 0;  // unread bytes in pieces_
  std::size_t pushed_ = 0;    // PCM bytes pushed in all
  std::deque<AudioMark> marks_;
  bool finished_ = false;
  bool failed_ = false;
  bool closed_ = false;
  bool throttled_ = false;
  std::string error_;
  std::function<void()> waker_;
};

}  // namespace lector::sched
