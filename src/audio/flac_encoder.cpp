#include <FLAC/stream_encoder.h>

#include <algorithm>
#include <vector>

#include "audio/encoders.h"
#include "core/error.h"

namespace lector::audio {
namespace {

// Streaming FLAC: a write callback and no seek callback, so libFLAC never goes back to fill in
// STREAMINFO's total length and MD5 (decoders read both as "unknown"). Blocks of ~100 ms (the
// default 4096 samples would hold back half a second at 8 kHz before the first frame leaves);
// within the streamable subset, which allows any block size up to 4608 at these rates.
std::uint32_t block_size(int sample_rate) {
  const int samples = sample_rate / 10 / 16 * 16;
  return static_cast<std::uint32_t>(std::clamp(samples, 256, 4608));
}

constexpr std::size_t kMaxBlock = 16384;

class FlacEncoder final : public Encoder {
 public:
  explicit FlacEncoder(int sample_rate) : enc_(FLAC__stream_encoder_new()) {
    if (!enc_) throw Error(ErrorCode::kInternal, "flac: FLAC__stream_encoder_new failed");
    FLAC__StreamEncoder* e = enc_.get();
    bool ok = FLAC__stream_encoder_set_channels(e, 1);
    ok = ok && FLAC__stream_encoder_set_bits_per_sample(e, 16);
    ok = ok && FLAC__stream_encoder_set_sample_rate(e, static_cast<std::uint32_t>(sample_rate));
    // Level 5, libFLAC's default: most of level 8's compression at a fraction of its CPU.
    ok = ok && FLAC__stream_encoder_set_compression_level(e, 5);
    ok = ok && FLAC__stream_encoder_set_blocksize(e, block_size(sample_rate));
    ok = ok && FLAC__stream_encoder_set_streamable_subset(e, true);
    if (!ok) throw Error(ErrorCode::kInternal, "flac: the encoder refused its settings");
    // Init writes "fLaC" and STREAMINFO at once; they wait in pending_ for the first write().
    out_ = &pending_;
    const FLAC__StreamEncoderInitStatus status = FLAC__stream_encoder_init_stream(
        e, &FlacEncoder::on_write, nullptr, nullptr, nullptr, this);
    out_ = nullptr;
    if (status != FLAC__STREAM_ENCODER_INIT_STATUS_OK)
      throw Error(ErrorCode::kInternal,
                  std::string("flac: init: ") + FLAC__StreamEncoderInitStatusString[status]);
  }

  void write(std::span<const std::int16_t> pcm, std::string& out) override {
    take_pending(out);
    out_ = &out;
    while (!pcm.empty()) {
      const std::size_t n = std::min(pcm.size(), kMaxBlock);
      wide_.assign(pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(n));
      if (!FLAC__stream_encoder_process_interleaved(enc_.get(), wide_.data(),
                                                    static_cast<std::uint32_t>(n)))
        fail("process");
      pcm = pcm.subspan(n);
    }
    out_ = nullptr;
  }

  void finish(std::string& out) override {
    take_pending(out);
    out_ = &out;
    // Encodes the last, shorter block. Returns false only on a failure (a seek-back that is
    // impossible here is not attempted without a seek callback).
    if (!FLAC__stream_encoder_finish(enc_.get())) fail("finish");
    out_ = nullptr;
  }

 private:
  static FLAC__StreamEncoderWriteStatus on_write(const FLAC__StreamEncoder*,
                                                 const FLAC__byte buffer[], size_t bytes,
                                                 std::uint32_t, std::uint32_t, void* self) {
    std::string* out = static_cast<FlacEncoder*>(self)->out_;
    if (!out) return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
    out->append(reinterpret_cast<const char*>(buffer), bytes);
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
  }

  void take_pending(std::string& out) {
    out += pending_;
    pending_.clear();
  }

  [[noreturn]] void fail(const char* what) {
    out_ = nullptr;
    const FLAC__StreamEncoderState state = FLAC__stream_encoder_get_state(enc_.get());
    throw Error(ErrorCode::kInternal,
                std::string("flac: ") + what + ": " + FLAC__StreamEncoderStateString[state]);
  }

  struct Delete {
    void operator()(FLAC__StreamEncoder* e) const { FLAC__stream_encoder_delete(e); }
  };
  std::string* out_ = nullptr;
  std::string pending_;
  std::vector<FLAC__int32> wide_;
  std::unique_ptr<FLAC__StreamEncoder, Delete> enc_;
};

}  // namespace

std::unique_ptr<Encoder> make_flac_encoder(int sample_rate) {
  return std::make_unique<FlacEncoder>(sample_rate);
}

}  // namespace lector::audio
