#pragma once
// One job's engine output as frames for the server, shared by the one-job loop's sink
// (worker_main.cpp) and the job threads' sink (parallel_worker.cpp): Audio frames, with the
// first chunk sent at once (time to first audio) and later ones batched into frames of
// kBatchBytes, which keeps the server's per-frame work small (engines produce audio hundreds
// of times faster than real time, so batching adds no audible delay); and Mark frames, held
// until the audio they point into is sent and written ahead of it in the same write (a mark
// may point ahead of the audio the server has; it must not arrive after that audio, and one
// write per batch instead of one per word keeps the server's wake-ups per batch).
//
// `out` is called as out(const std::string& frame, const char* data, std::size_t n): send the
// frame bytes, then `n` bytes of PCM at `data` (n may be 0), as one whole frame. It returns
// false when the server is gone; so do the calls below.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "worker/protocol.h"

namespace lector::worker {

class JobFramer {
 public:
  static constexpr std::size_t kBatchBytes = 64 * 1024;

  explicit JobFramer(std::uint64_t job_id) : job_id_(job_id) {}

  template <class Out>
  bool audio(std::span<const std::int16_t> pcm, Out&& out) {
    const auto* bytes = reinterpret_cast<const char*>(pcm.data());
    if (!sent_any_) {
      sent_any_ = true;
      return send_audio(bytes, pcm.size_bytes(), out);
    }
    pending_.append(bytes, pcm.size_bytes());
    return pending_.size() < kBatchBytes || flush(out);
  }

  // Held until the next write (see above).
  void word(std::size_t text_offset, std::size_t text_length, std::uint64_t sample_offset) {
    encode(WordMark{job_id_, static_cast<std::uint32_t>(text_offset),
                    static_cast<std::uint32_t>(text_length), sample_offset},
           marks_);
  }

  // Sends what is batched, then `tail` (the job's Done or Error frame), in one write: the
  // server's loop then wakes once for the end of a segment, not twice.
  template <class Out>
  bool finish(const std::string& tail, Out&& out) {
    start_write();
    if (!pending_.empty()) {
      encode_audio_header(job_id_, pending_.size(), header_);
      header_.append(pending_);  // one copy of at most a batch, for one write instead of two
      pending_.clear();
    }
    header_.append(tail);
    return out(header_, nullptr, 0);
  }

  // Sends what is batched (marks, then audio).
  template <class Out>
  bool flush(Out&& out) {
    if (pending_.empty()) {
      if (marks_.empty()) return true;
      const bool sent = out(marks_, nullptr, 0);
      marks_.clear();
      return sent;
    }
    const bool sent = send_audio(pending_.data(), pending_.size(), out);
    pending_.clear();
    return sent;
  }

 private:
  // The next write starts with the held marks (header_ takes them; marks_ starts empty).
  void start_write() {
    header_.swap(marks_);
    marks_.clear();
  }

  template <class Out>
  bool send_audio(const char* data, std::size_t n, Out& out) {
    // The held marks, then the Audio frame's header: one frame string, then the PCM.
    start_write();
    encode_audio_header(job_id_, n, header_);
    return out(header_, data, n);
  }

  std::uint64_t job_id_;
  std::string header_;
  std::string pending_;
  std::string marks_;  // encoded Mark frames not sent yet
  bool sent_any_ = false;
};

}  // namespace lector::worker
