#pragma once
// The output side of a synthesis request: the audio format and sample rate the client asked
// for (`format`, `sample_rate`). Validation errors are lector::Error(kBadParameter) naming the
// parameter.

#include <string>

#include "api/http_types.h"
#include "audio/format.h"

namespace lector::api {

struct OutputSpec {
  audio::Format format = audio::Format::kWav;
  int sample_rate = 0;  // Hz; 0 = the voice's native rate
};

// `format` (by `format_param`'s name) and `sample_rate` from the request, or the defaults.
// An unknown format, "aac" (no AAC encoder in Debian 12 main), a sample rate that is not an
// integer in [8000, 48000] are 400s naming the parameter.
OutputSpec output_params(const ParamLookup& params, const OutputSpec& defaults,
                         const char* format_param = "format");

// Checks that the format can carry the rate the audio will have (`native_rate` when the
// request left sample_rate to the voice); a 400 naming sample_rate otherwise.
void check_output_rate(const OutputSpec& spec, int native_rate);

}  // namespace lector::api
