// /tts: GET with the parameters in the query; POST with a JSON body carrying the same
// parameters as fields; POST with any other body streams that body as the text
// (Api::open_upload, text_upload.h), other parameters in the query.

#include "api/audio_body.h"
#include "api/dto.h"
#include "api/routes.h"
#include "api/ssml_request.h"
#include "api/text_options.h"
#include "api/text_upload.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// `ssml`: 1 reads the text as SSML, 0 as plain text; absent, a text starting with <speak is
// SSML.
std::optional<bool> ssml_param(const ParamLookup& params) {
  if (!params("ssml")) return std::nullopt;
  return bool_param(params, "ssml", false);
}

Response tts(Api& api, const HttpRequest& request) {
  ParamLookup params = [&](const char* name) { return request.param(name); };
  json body;
  const std::string_view media =
      std::string_view(request.content_type).substr(0, request.content_type.find(';'));
  if (request.method == "POST" && media == "application/ssml+xml") {
    // The body is the document; the other parameters are in the query.
    if (request.param("text"))
      throw bad_parameter("text", "given both in the query and as the body");
    const std::string& document = request.body;
    params = [&](const char* name) -> std::optional<std::string> {
      if (std::string_view(name) == "text") return document;
      if (std::string_view(name) == "ssml") return std::string("1");
      return request.param(name);
    };
  } else if (request.method == "POST") {
    // Only JSON bodies come here: text bodies stream through open_upload() (streams_body).
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw Error(ErrorCode::kBadParameter, "request body is not a JSON object");
    // The text is a string: json_params would read true or 5 as the text "true" or "5".
    if (auto t = body.find("text"); t != body.end() && !t->is_null() && !t->is_string())
      throw bad_parameter("text", "must be a string");
    params = json_params(body);
  }
  auto raw = params("text");
  if (!raw) throw bad_parameter("text", "missing");
  const int silence_ms = sentence_silence_param(params, api.config().sentence_silence);
  TextOptions text_opts = text_options(params, api.config().text);
  if (body.is_object()) read_lexicon_field(body, text_opts);
  if (is_ssml(*raw, ssml_param(params))) {
    sched::SynthesisRequest base = api.resolve(params);
    base.usage = request.usage;
    const OutputSpec output = output_params(params, OutputSpec{});
    auto audio = ssml_body(api, *raw, base, output, text::count_code_points(*raw),
                           SsmlOptions{"text", 0, silence_ms, text_opts});
    const int rate = audio->output_rate();
    return AudioBody::response(std::move(audio), output, rate);
  }
  sched::SynthesisRequest req = api.resolve(params);
  req.usage = request.usage;
  const OutputSpec output = output_params(params, OutputSpec{});
  std::vector<text::MappedText> segments =
      prepare_text(api, *raw, frontend_options(api, req, text_opts, silence_ms), "text");
  req.segments = segment_texts(segments);

  auto audio = AudioBody::start(api.scheduler(), std::move(req), output,
                                text::count_code_points(*raw), silence_ms);
  const int rate = audio->output_rate();
  return AudioBody::response(std::move(audio), output, rate);
}

}  // namespace

void add_tts_routes(RouteTable& routes, Api& api) {
  routes.add("/tts", {"GET", "POST"},
             [&api](const HttpRequest& request) { return tts(api, request); });
}

std::variant<Upload, Response> Api::open_upload(HttpRequest& head) noexcept {
  std::shared_ptr<TextUpload> sink;
  Response r = guarded(
      [&]() -> Response {
        admit(head, false);
        if (head.param("text"))
          throw bad_parameter("text", "given both in the query and as the body");
        const ParamLookup params = [&](const char* name) { return head.param(name); };
        sched::SynthesisRequest req = resolve(params);
        req.usage = head.usage;
        const OutputSpec output = output_params(params, OutputSpec{});
        req.open = true;
        const text::FrontendOptions frontend =
            frontend_options(*this, req, text_options(params, config_.text));
        // The text's length is not known yet: 0 in the request's record.
        auto source = AudioBody::start(scheduler_, std::move(req), output, 0);
        const int rate = source->output_rate();
        sink = std::make_shared<TextUpload>(source, frontend, config_.max_text_chars);
        return AudioBody::response(source, output, rate);
      },
      head.path);
  add_cors(head, r);
  if (!r.stream) return r;
  return Upload{std::move(r), std::move(sink)};
}

}  // namespace lector::api
