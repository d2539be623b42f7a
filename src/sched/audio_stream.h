#pragma once
// The audio of one request, handed from the scheduler (producer) to a transport (consumer).
//
// Thread-safety: every method may be called from any thread. The producer is the scheduler's
// loop thread; the consumer is whichever thread runs the transport. The waker is called
// without the stream's lock held, from the producer's thread.

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

class Scheduler;

// A position in a request's audio: where a segment starts or ends. `offset` counts PCM bytes
// from the start of the request's audio.
struct AudioMark {
  enum class Kind { kSegmentStart, kSegmentEnd, kWord };
  Kind kind;
  std::size_t segment;
  std::size_t offset;
  // kWord: the word's place in the segment's text, in code points.
  std::size_t text_offset = 0;
  std::size_t text_length = 0;
};

class AudioStream {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kPending, kData, kEnd, kFailed };

  AudioStream(std::uint64_t id, int sample_rate, Scheduler* owner);

  std::uint64_t id() const { return id_; }
  int sample_rate() const { return sample_rate_; }
  Clock::time_point created() const { return created_; }

  // Consumer side. Appends all buffered PCM (s16le mono) to `out` and returns kData, or tells
  // why there is nothing: kPending (more will come), kEnd (all delivered), kFailed (see
  // error()). A waker set here is called once new data or the end is available.
  // With `marks`, also moves the marks up to the end of the taken audio there (a mark alone,
  // with no new audio, also counts as kData); without, marks are dropped.
  // At most `max_bytes` of PCM are taken at once (an even number; marks beyond stay).
  State take(std::string& out, std::vector<AudioMark>* marks = nullptr,
             std::size_t max_bytes = SIZE_MAX);
  void set_waker(std::function<void()> waker);
  // The consumer is gone: the scheduler drops the request's remaining segments.
  void cancel();
  std::string error() const;

  // Producer side (scheduler loop thread).
  void push(std::string_view pcm);
  void mark(AudioMark::Kind kind, std::size_t segment);
  // A mark at an explicit offset, which may lie ahead of the audio pushed so far.
  void mark_at(const AudioMark& mark);
  std::size_t pushed_bytes() const;
  void finish();
  void fail(std::string message);
  std::size_t buffered_bytes() const;
  bool cancelled() const;
  // The scheduler withheld work because too much audio sits unread; take() wakes it.
  void mark_throttled();

 private:
  void notify();

  const std::uint64_t id_;
  const int sample_rate_;
  Scheduler* const owner_;
  const Clock::time_point created_ = Clock::now();

  mutable std::mutex mu_;
  std::string buffer_;
  std::size_t pushed_ = 0;  // PCM bytes pushed in all
  std::deque<AudioMark> marks_;
  bool finished_ = false;
  bool failed_ = false;
  bool cancelled_ = false;
  bool throttled_ = false;
  std::string error_;
  std::function<void()> waker_;
};

}  // namespace lector::sched
