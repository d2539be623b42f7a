#include <lame.h>

#include <algorithm>
#include <cstdarg>

#include "audio/encoders.h"
#include "core/error.h"

namespace lector::audio {
namespace {

// Constant bit rate, mono. CBR because a streamed MP3 carries no Xing/LAME tag (that tag is
// filled in by seeking back to the first frame, which a chunked response cannot do), and
// without it players estimate duration and seek positions from the first frame's bit rate:
// right for CBR, wrong for VBR. The rates are generous for one voice: 64 kbit/s at the MPEG-1
// rates (32-48 kHz), 48 at MPEG-2 (16-24 kHz), 32 at MPEG-2.5 (8-12 kHz).
int bitrate_kbps(int sample_rate) {
  if (sample_rate >= 32000) return 64;
  if (sample_rate >= 16000) return 48;
  return 32;
}

// LAME reports on stderr unless told otherwise; its errors reach us through return codes.
void quiet(const char*, va_list) {}

// At most this many samples per lame_encode_buffer call (its count is an int, and the output
// buffer is sized from it).
constexpr std::size_t kMaxBlock = 16384;

class Mp3Encoder final : public Encoder {
 public:
  explicit Mp3Encoder(int sample_rate) : lame_(lame_init()) {
    if (!lame_) throw Error(ErrorCode::kInternal, "mp3: lame_init failed");
    lame_set_errorf(lame_, quiet);
    lame_set_debugf(lame_, quiet);
    lame_set_msgf(lame_, quiet);
    lame_set_num_channels(lame_, 1);
    lame_set_mode(lame_, MONO);
    lame_set_in_samplerate(lame_, sample_rate);
    lame_set_out_samplerate(lame_, sample_rate);
    lame_set_VBR(lame_, vbr_off);
    lame_set_brate(lame_, bitrate_kbps(sample_rate));
    // 5: LAME's default algorithm quality; 2 costs about twice the CPU for no audible gain on
    // speech at these rates.
    lame_set_quality(lame_, 5);
    lame_set_bWriteVbrTag(lame_, 0);
    lame_set_write_id3tag_automatic(lame_, 0);
    if (lame_init_params(lame_) < 0) {
      lame_close(lame_);
      throw Error(ErrorCode::kInternal, "mp3: lame_init_params refused the settings");
    }
  }
  ~Mp3Encoder() override { lame_close(lame_); }
  Mp3Encoder(const Mp3Encoder&) = delete;
  Mp3Encoder& operator=(const Mp3Encoder&) = delete;

  void write(std::span<const std::int16_t> pcm, std::string& out) override {
    while (!pcm.empty()) {
      const std::size_t n = std::min(pcm.size(), kMaxBlock);
      // LAME's documented worst case: 1.25 * samples + 7200.
      const std::size_t room = n + n / 4 + 7200;
      const std::size_t base = out.size();
      out.resize(base + room);
      const int got = lame_encode_buffer(lame_, pcm.data(), nullptr, static_cast<int>(n),
                                         bytes(out, base), static_cast<int>(room));
      settle(out, base, got, "lame_encode_buffer");
      pcm = pcm.subspan(n);
    }
  }

  void finish(std::string& out) override {
    // lame_encode_flush pads the last frame with silence and writes every frame still held.
    constexpr std::size_t kRoom = 7200 + 2 * 2880;
    const std::size_t base = out.size();
    out.resize(base + kRoom);
    const int got = lame_encode_flush(lame_, bytes(out, base), static_cast<int>(kRoom));
    settle(out, base, got, "lame_encode_flush");
  }

 private:
  static unsigned char* bytes(std::string& out, std::size_t at) {
    return reinterpret_cast<unsigned char*>(out.data() + at);
  }
  static void settle(std::string& out, std::size_t base, int got, const char* what) {
    if (got < 0) {
      out.resize(base);
      throw Error(ErrorCode::kInternal,
                  std::string("mp3: ") + what + " failed (" + std::to_string(got) + ")");
    }
    out.resize(base + static_cast<std::size_t>(got));
  }

  lame_global_flags* lame_;
};

}  // namespace

std::unique_ptr<Encoder> make_mp3_encoder(int sample_rate) {
  return std::make_unique<Mp3Encoder>(sample_rate);
}

}  // namespace lector::audio
