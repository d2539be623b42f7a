#include "audio/wav.h"

namespace lector::audio {
namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xffu));
  out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (unsigned shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((v >> shift) & 0xffu));
}

}  // namespace

std::string wav_header(int sample_rate, std::uint32_t data_bytes) {
  constexpr std::uint16_t kChannels = 1;
  constexpr std::uint16_t kBits = 16;
  const auto rate = static_cast<std::uint32_t>(sample_rate);
  std::string h;
  h.reserve(kWavHeaderBytes);
  h += "RIFF";
  put_u32(h, data_bytes == 0xFFFFFFFFu ? 0xFFFFFFFFu : data_bytes + 36);
  h += "WAVEfmt ";
  put_u32(h, 16);  // fmt chunk size
  put_u16(h, 1);   // PCM
  put_u16(h, kChannels);
  put_u32(h, rate);
  put_u32(h, rate * kChannels * kBits / 8);  // byte rate
  put_u16(h, kChannels * kBits / 8);         // block align
  put_u16(h, kBits);
  h += "data";
  put_u32(h, data_bytes);
  return h;
}

}  // namespace lector::audio
