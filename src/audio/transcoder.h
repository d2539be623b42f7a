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

namespace lector::audio {

class Transcoder {
 public:
  // Throws as make_encoder does.
  Transcoder(int in_rate, Format format, int out_rate);
  // `pcm` is s16le mono bytes at `in_rate` (an even number of bytes); encoded bytes that are
  // ready are appended to `out`.
  void write(std::string_view pcm, std::string& out);
  // End of the audio: flushes the resampler and the encoder.
  void finish(std::string& out);
  Format format() const { return format_; }
  int out_rate() const { return out_rate_; }

 private:
  Format format_;
  int out_rate_;
  std::unique_ptr<Resampler> resampler_;  // null when the rates are equal
  std::unique_ptr<Encoder> encoder_;
  std::vector<std::int16_t> scratch_;
};

}  // namespace lector::audio
