#pragma once
// The audio path of one response: native-rate PCM from the engine, resampled when the
// requested rate differs, encoded into the requested format. Not thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audio/encoder.h"
#include "audio/format.h"
#include "audio/resampler.h"
#include "audio/wav.h"

namespace lector::audio {

class Transcoder {
 public:
  // Throws as make_encoder does.
  Transcoder(int in_rate, Format format, int out_rate);
  // `pcm` is s16le mono bytes at `in_rate` (an even number of bytes); encoded bytes that are
  // ready are appended to `out`.
  void write(std::string_view pcm, std::string& out);
  // The caller appended s16le PCM at `out[from..]` (an even number of bytes): turns it into the
  // output in place. For WAV and raw PCM at the input rate nothing moves but the WAV header,
  // inserted once, so a response's audio is copied once on its way from the scheduler.
  void encode_appended(std::string& out, std::size_t from);
  // End of the audio: flushes the resampler and the encoder.
  void finish(std::string& out);
  Format format() const { return format_; }
  int out_rate() const { return out_rate_; }

 private:
  Format format_;
  int out_rate_;
  std::unique_ptr<Resampler> resampler_;  // null when the rates are equal
  std::unique_ptr<Encoder> encoder_;
  // WAV or PCM at the input rate: the bytes pass as they are (s16le in, s16le out) and only
  // the WAV header is written here; the encoder is not used.
  bool passthrough_ = false;
  bool header_sent_ = false;
  std::vector<std::int16_t> samples_;
  std::vector<std::int16_t> scratch_;
  std::string pending_;  // encode_appended's input, moved out of the way
};

}  // namespace lector::audio
