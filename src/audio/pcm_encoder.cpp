#include "audio/encoders.h"

namespace lector::audio {
namespace {

// Raw s16le mono: what OpenAI's `pcm` is, with no header at all.
class PcmEncoder final : public Encoder {
 public:
  void write(std::span<const std::int16_t> pcm, std::string& out) override {
    append_s16le(pcm, out);
  }
  void finish(std::string&) override {}
};

}  // namespace

void append_s16le(std::span<const std::int16_t> pcm, std::string& out) {
  const std::size_t base = out.size();
  out.resize(base + 2 * pcm.size());
  char* p = out.data() + base;
  // Byte by byte, so the bytes are little-endian whatever the host is.
  for (const std::int16_t s : pcm) {
    const auto u = static_cast<std::uint16_t>(s);
    *p++ = static_cast<char>(u & 0xffu);
    *p++ = static_cast<char>(u >> 8);
  }
}

std::unique_ptr<Encoder> make_pcm_encoder() {
  return std::make_unique<PcmEncoder>();
}

}  // namespace lector::audio
