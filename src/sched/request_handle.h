#pragma once
// A submitted request, owned by whoever consumes its audio (an HTTP response, a WebSocket
// utterance). Move-only; its destructor cancels the request unless it ended, so every way a
// consumer can go away early (an error after the upload started, a disconnect, a write
// timeout, an exception) frees the request's slot and its queued segments.
//
// Threading: one consumer thread at a time (the connection's strand). The Scheduler must
// outlive every handle.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/usage.h"
#include "sched/audio_stream.h"

namespace lector::sched {

class Scheduler;

class RequestHandle {
 public:
  using State = AudioSource::State;

  RequestHandle() = default;
  RequestHandle(Scheduler* owner, std::shared_ptr<AudioStream> stream,
                std::shared_ptr<UsageMeter> usage = nullptr);
  RequestHandle(RequestHandle&& other) noexcept;
  RequestHandle& operator=(RequestHandle&& other) noexcept;
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;
  ~RequestHandle();

  explicit operator bool() const { return stream_ != nullptr; }
  std::uint64_t id() const { return stream_->id(); }
  int sample_rate() const { return stream_->sample_rate(); }
  AudioSource::Clock::time_point created() const { return stream_->created(); }
  // Seconds from submit to the first segment's start (worker or cache); negative before.
  double queue_wait_seconds() const { return stream_->queue_wait_seconds(); }

  // The audio (see AudioSource::take). Once it returns kEnd or kFailed the request is over
  // and its slot is free. The PCM taken is charged to the request's UsageMeter.
  State take(std::string& out, std::vector<AudioMark>* marks = nullptr,
             std::size_t max_bytes = SIZE_MAX);
  void set_waker(std::function<void()> waker);
  std::string error() const;

  // More text for an open request, and the end of it. No-ops once the request is over.
  void append(std::vector<std::string> segments);
  void close();
  // Ends the request now: queued segments are dropped, running ones cancelled, the slot
  // freed. take() must not be called again; id(), sample_rate() and created() still work.
  void cancel();

 private:
  void release();

  Scheduler* owner_ = nullptr;
  std::shared_ptr<AudioStream> stream_;
  std::shared_ptr<UsageMeter> usage_;
  bool released_ = false;   // the slot was given back
  bool cancelled_ = false;  // cancel() ran: nothing more is posted
};

}  // namespace lector::sched
