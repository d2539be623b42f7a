#pragma once
// Test-only decoders: the bytes a Lector encoder wrote, decoded by the codec's own reference
// library (libmpg123, libopusfile + libogg, libFLAC) or, for wav and pcm, parsed strictly
// here. Used by the audio unit tests and by the lector-decode tool the e2e tests call. It
// shares no code with src/audio, so an encoder bug cannot hide behind the same bug here.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lector::testing {

struct Decoded {
  std::string format;
  int sample_rate = 0;   // the rate the stream declares (Opus: OpusHead's input rate)
  int decoded_rate = 0;  // the rate of `pcm` (Opus always decodes at 48 kHz)
  int channels = 0;
  bool end_of_stream = false;     // Opus only: the last Ogg page carries end-of-stream
  std::vector<std::int16_t> pcm;  // interleaved when channels > 1
  std::size_t frames() const {
    return channels ? pcm.size() / static_cast<std::size_t>(channels) : 0;
  }
  double seconds() const { return decoded_rate ? static_cast<double>(frames()) / decoded_rate : 0; }
};

struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `format` is "wav", "pcm", "mp3", "opus" or "flac"; `pcm_rate` is the rate of raw `pcm`
// (required for it, ignored otherwise). Throws DecodeError saying why the bytes are not a
// valid stream of that format. A stream cut short is valid up to its last whole frame (MP3,
// FLAC) or page (Opus): that is what a client that lost the connection has.
Decoded decode(std::string_view format, std::string_view bytes, int pcm_rate = 0);

// A 44-byte WAV header for `frames` s16 frames: for writing decoded audio to a file.
std::string wav_file_header(int sample_rate, int channels, std::size_t frames);

}  // namespace lector::testing
