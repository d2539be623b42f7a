#include "audio/encoder.h"

#include <string>

#include "audio/encoders.h"
#include "core/error.h"

namespace lector::audio {

std::unique_ptr<Encoder> make_encoder(Format format, int sample_rate) {
  if (const std::string_view problem = unsupported_rate(format, sample_rate); !problem.empty())
    throw bad_parameter("sample_rate", std::string(problem));
  switch (format) {
    case Format::kWav:
      return make_wav_encoder(sample_rate);
    case Format::kPcm:
      return make_pcm_encoder();
    case Format::kMp3:
      return make_mp3_encoder(sample_rate);
    case Format::kOpus:
      return make_opus_encoder(sample_rate);
    case Format::kFlac:
      return make_flac_encoder(sample_rate);
  }
  throw Error(ErrorCode::kInternal, "make_encoder: unknown format");
}

}  // namespace lector::audio
