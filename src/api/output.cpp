#include "api/output.h"

#include <charconv>

#include "api/params.h"
#include "core/error.h"

namespace lector::api {

OutputSpec output_params(const ParamLookup& params, const OutputSpec& defaults,
                         const char* format_param) {
  OutputSpec spec = defaults;
  if (auto f = params(format_param)) {
    auto format = audio::parse_format(*f);
    if (!format) {
      if (*f == "aac")
        throw bad_parameter(format_param,
                            "'aac' is not available: Debian 12 has no AAC encoder in main; use "
                            "mp3, opus, flac, wav or pcm");
      throw bad_parameter(format_param,
                          "unknown format " + quote(*f) + "; one of wav, pcm, mp3, opus, flac");
    }
    spec.format = *format;
  }
  if (auto r = params("sample_rate")) {
    int rate = 0;
    const char* end = r->data() + r->size();
    auto [ptr, ec] = std::from_chars(r->data(), end, rate);
    if (r->empty() || ec != std::errc() || ptr != end)
      throw bad_parameter("sample_rate", "not an integer: " + quote(*r));
    if (rate < audio::kMinSampleRate || rate > audio::kMaxSampleRate)
      throw bad_parameter("sample_rate", std::to_string(rate) + " is out of range [" +
                                             std::to_string(audio::kMinSampleRate) + ", " +
                                             std::to_string(audio::kMaxSampleRate) + "]");
    spec.sample_rate = rate;
  }
  return spec;
}

void check_output_rate(const OutputSpec& spec, int native_rate) {
  const int rate = spec.sample_rate != 0 ? spec.sample_rate : native_rate;
  const std::string_view problem = audio::unsupported_rate(spec.format, rate);
  if (!problem.empty())
    throw bad_parameter("sample_rate", std::to_string(rate) + " Hz cannot be " +
                                           audio::to_string(spec.format) + ": " +
                                           std::string(problem));
}

}  // namespace lector::api
