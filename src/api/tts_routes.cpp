// /tts: GET with the parameters in the query; POST with a JSON body carrying the same
// parameters as fields; POST with any other body streams that body as the text
// (Api::open_upload, text_upload.h), other parameters in the query.

#include "api/audio_body.h"
#include "api/dto.h"
#include "api/routes.h"
#include "api/text_upload.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

Response tts(Api& api, const HttpRequest& request) {
  ParamLookup params = [&](const char* name) { return request.param(name); };
  json body;
  if (request.method == "POST") {
    // Only JSON bodies come here: text bodies stream through open_upload() (streams_body).
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw Error(ErrorCode::kBadParameter, "request body is not a JSON object");
    params = json_params(body);
  }
  auto raw = params("text");
  if (!raw) throw bad_parameter("text", "missing");
  const std::string clean = api.clean_text(*raw);
  sched::SynthesisRequest req = api.resolve(params);
  const OutputSpec output = output_params(params, OutputSpec{});
  req.segments = text::split_segments(clean, api.language_of(req), api.config().segmenter);
  if (req.segments.empty()) throw bad_parameter("text", "has nothing to speak");

  auto audio =
      AudioBody::start(api.scheduler(), std::move(req), output, text::count_code_points(clean));
  const int rate = audio->output_rate();
  return AudioBody::response(std::move(audio), output, rate);
}

}  // namespace

void add_tts_routes(RouteTable& routes, Api& api) {
  routes.add("/tts", {"GET", "POST"},
             [&api](const HttpRequest& request) { return tts(api, request); });
}

std::variant<Upload, Response> Api::open_upload(const HttpRequest& head) noexcept {
  std::shared_ptr<TextUpload> sink;
  Response r = guarded(
      [&]() -> Response {
        if (head.param("text"))
          throw bad_parameter("text", "given both in the query and as the body");
        const ParamLookup params = [&](const char* name) { return head.param(name); };
        sched::SynthesisRequest req = resolve(params);
        const OutputSpec output = output_params(params, OutputSpec{});
        req.open = true;
        const std::string language = language_of(req);
        // The text's length is not known yet: 0 in the request's record.
        auto source = AudioBody::start(scheduler_, std::move(req), output, 0);
        const int rate = source->output_rate();
        sink = std::make_shared<TextUpload>(source, language, config_.segmenter,
                                            config_.max_text_chars);
        return AudioBody::response(source, output, rate);
      },
      head.path);
  if (!r.stream) return r;
  return Upload{std::move(r), std::move(sink)};
}

}  // namespace lector::api
