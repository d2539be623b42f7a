#include <opusenc.h>

#include <algorithm>

#include "audio/encoders.h"
#include "core/error.h"

namespace lector::audio {
namespace {

// libopusenc's defaults suit files, not streams: it holds 2 s of audio for its decisions and
// lets a page grow to 1 s. A page is what a client can decode, so both are cut down.
// Decision delay 0: a 20 ms frame is encoded as soon as it is complete (the delay only serves
// to choose frame sizes and stream chaining, which a mono speech stream does not use).
// Muxing delay 4800 granules (100 ms at 48 kHz): a page leaves every 5 frames; the page
// overhead this costs is ~30 bytes per 100 ms, 2.4 kbit/s.
constexpr int kDecisionDelay = 0;
constexpr int kMuxingDelay = 4800;

// Speech at 24 kbit/s (input up to 16 kHz, Opus wideband) or 32 kbit/s (super- and fullband):
// where Opus is near transparent for one voice, about half the MP3 rates.
int bitrate(int sample_rate) {
  return sample_rate <= 16000 ? 24000 : 32000;
}

// Complexity 5 of 10: about half the CPU of the default (bench/audio_cost: ~10 instead of
// ~18 ms per second of speech on the development machine), at a small cost in quality on
// speech at these bit rates.
constexpr int kComplexity = 5;

constexpr std::size_t kMaxBlock = 16384;

class OpusEncoder final : public Encoder {
 public:
  explicit OpusEncoder(int sample_rate) {
    OggOpusComments* comments = ope_comments_create();
    if (!comments) throw Error(ErrorCode::kInternal, "opus: ope_comments_create failed");
    const OpusEncCallbacks callbacks{&OpusEncoder::on_write, &OpusEncoder::on_close};
    int err = OPE_OK;
    // Mapping family 0: mono or stereo, no channel mapping table.
    enc_.reset(ope_encoder_create_callbacks(&callbacks, this, comments, sample_rate, 1, 0, &err));
    ope_comments_destroy(comments);
    if (!enc_ || err != OPE_OK) fail("ope_encoder_create_callbacks", err);
    check(ope_encoder_ctl(enc_.get(), OPE_SET_DECISION_DELAY(kDecisionDelay)), "decision delay");
    check(ope_encoder_ctl(enc_.get(), OPE_SET_MUXING_DELAY(kMuxingDelay)), "muxing delay");
    // No room reserved in OpusTags for rewriting them: a stream is never rewritten.
    check(ope_encoder_ctl(enc_.get(), OPE_SET_COMMENT_PADDING(0)), "comment padding");
    check(ope_encoder_ctl(enc_.get(), OPUS_SET_BITRATE(bitrate(sample_rate))), "bitrate");
    check(ope_encoder_ctl(enc_.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)), "signal");
    check(ope_encoder_ctl(enc_.get(), OPUS_SET_COMPLEXITY(kComplexity)), "complexity");
  }

  void write(std::span<const std::int16_t> pcm, std::string& out) override {
    out_ = &out;
    while (!pcm.empty()) {
      const std::size_t n = std::min(pcm.size(), kMaxBlock);
      // The first write also sends the two header pages (OpusHead, OpusTags).
      check(ope_encoder_write(enc_.get(), pcm.data(), static_cast<int>(n)), "ope_encoder_write");
      pcm = pcm.subspan(n);
      wrote_any_ = true;
    }
    out_ = nullptr;
  }

  // ope_encoder_drain pads and encodes what is held and writes the last page with the
  // end-of-stream flag and the granule position that trims the padding: without it a decoder
  // loses the last page's audio (up to 100 ms here, 1 s with the defaults).
  void finish(std::string& out) override {
    out_ = &out;
    // libopusenc 0.2.1 (Debian 12) aborts on an assertion when a stream that resamples (any
    // rate but 48 kHz) is drained with no sample written. One sample of silence avoids it; it
    // decodes to 1/rate seconds of silence.
    if (!wrote_any_) {
      const opus_int16 silence = 0;
      check(ope_encoder_write(enc_.get(), &silence, 1), "ope_encoder_write");
    }
    check(ope_encoder_drain(enc_.get()), "ope_encoder_drain");
    out_ = nullptr;
  }

 private:
  static int on_write(void* self, const unsigned char* data, opus_int32 len) {
    std::string* out = static_cast<OpusEncoder*>(self)->out_;
    if (!out) return 1;  // never happens: libopusenc writes only inside write() and finish()
    out->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
    return 0;
  }
  static int on_close(void*) { return 0; }

  void check(int err, const char* what) {
    if (err != OPE_OK) {
      out_ = nullptr;
      fail(what, err);
    }
  }
  [[noreturn]] static void fail(const char* what, int err) {
    throw Error(ErrorCode::kInternal, std::string("opus: ") + what + ": " + ope_strerror(err));
  }

  struct Destroy {
    // An undrained encoder (a cancelled response) is destroyed without writing anything.
    void operator()(OggOpusEnc* enc) const { ope_encoder_destroy(enc); }
  };
  std::string* out_ = nullptr;
  bool wrote_any_ = false;
  std::unique_ptr<OggOpusEnc, Destroy> enc_;
};

}  // namespace

std::unique_ptr<Encoder> make_opus_encoder(int sample_rate) {
  return std::make_unique<OpusEncoder>(sample_rate);
}

}  // namespace lector::audio
