#pragma once
// One job's engine output as frames for the server, shared by the one-job loop's sink
// (worker_main.cpp) and the job threads' sink (parallel_worker.cpp): Audio frames, with the
// first chunk sent at once (time to first audio) and later ones batched into frames of
// kBatchBytes, which keeps the server's per-frame work small (engines produce audio hundreds
// of times faster than real time, so batching adds no audible delay); and Mark frames.
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

  template <class Out>
  bool word(std::size_t text_offset, std::size_t text_length, std::uint64_t sample_offset,
            Out&& out) {
    mark_.clear();
    encode(WordMark{job_id_, static_cast<std::uint32_t>(text_offset),
                    static_cast<std::uint32_t>(text_length), sample_offset},
           mark_);
    return out(mark_, nullptr, 0);
  }

  // Sends what is batched; call before Done.
  template <class Out>
  bool flush(Out&& out) {
    if (pending_.empty()) return true;
    const bool sent = send_audio(pending_.data(), pending_.size(), out);
    pending_.clear();
    return sent;
  }

 private:
  template <class Out>
  bool send_audio(const char* data, std::size_t n, Out& out) {
    header_.clear();
    encode_audio_header(job_id_, n, header_);
    return out(header_, data, n);
  }

  std::uint64_t job_id_;
  std::string header_;
  std::string pending_;
  std::string mark_;
  bool sent_any_ = false;
};

}  // namespace lector::worker
