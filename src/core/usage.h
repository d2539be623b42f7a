#pragma once
// What a synthesis request's audio is charged to (an API key's daily quota). Scheduler::submit
// asks check() before it admits a request, and the request's handle reports the audio its
// consumer takes, so only audio on its way to the client counts.
//
// Threading: implementations are shared by every request of a key and must be thread-safe.

namespace lector {

class UsageMeter {
 public:
  virtual ~UsageMeter() = default;
  // Throws lector::Error (kQuotaExceeded, with its Retry-After) when no more audio may be
  // charged; a request refused here never takes a slot.
  virtual void check() const {}
  virtual void delivered(double audio_seconds) noexcept = 0;
};

}  // namespace lector
