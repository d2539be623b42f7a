// /tts: GET with the parameters in the query; POST with a JSON body carrying the same
// parameters as fields; POST with any other body streams that body as the text
// (Api::open_upload, text_upload.h), other parameters in the query. complete=1 and Range
// requests hold the whole body (held_body.h).

#include "api/audio_body.h"
#include "api/dto.h"
#include "api/held_body.h"
#include "api/lexicon_store.h"
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

// complete=1, or a Range header on GET: the whole body is held, then sent with its length
// (held_body.h). A Range header that is not one byte range is ignored: the whole body, 200.
struct Whole {
  bool held = false;
  std::optional<ByteRange> range;
};

Whole whole_param(const HttpRequest& request, const ParamLookup& params) {
  Whole w;
  w.held = bool_param(params, "complete", false);
  if (request.method != "POST")
    if (auto header = request.header("range")) {
      w.held = true;
      w.range = parse_byte_range(*header);
    }
  return w;
}

// Every audio answer of /tts says that ranges are served.
Response audio_response(std::shared_ptr<BodySource> body, const OutputSpec& output, int rate) {
  Response r = AudioBody::response(std::move(body), output, rate);
  r.headers.emplace_back("Accept-Ranges", "bytes");
  return r;
}

// The answer for `audio` (started), held whole when asked.
Response answer(Api& api, std::shared_ptr<AudioBody> audio, const OutputSpec& output,
                const Whole& whole, std::string key) {
  const int rate = audio->output_rate();
  if (!whole.held) return audio_response(std::move(audio), output, rate);
  auto held = std::make_shared<HeldBody>(api, std::move(audio), output.format, whole.range,
                                         &api.body_cache(), std::move(key));
  return audio_response(std::move(held), output, rate);
}

// A held body already in the cache: answered at once, no synthesis.
std::optional<Response> cached(Api& api, const Whole& whole, const std::string& key,
                               const OutputSpec& output) {
  if (!whole.held) return std::nullopt;
  const auto body = api.body_cache().find(key);
  if (!body) return std::nullopt;
  return ranged_response(body->view(), whole.range, audio_response(nullptr, output, body->rate),
                         api);
}

// The text part of a held body's cache key: the text and everything that changes how it is
// read (the request's text options, its own lexicon entries, the server's lexicon in force).
std::string text_key(const Api& api, std::string_view raw, const TextOptions& o) {
  std::string key(raw);
  key += '\0';
  key += o.normalize ? 'n' : '-';
  key += o.cleanup.code == text::CleanupOptions::Code::kRead ? 'c' : '-';
  key += o.cleanup.emoji == text::CleanupOptions::Emoji::kName ? 'e' : '-';
  key += o.markup ? 'm' : '-';
  if (api.config().lexicon) key += std::to_string(api.config().lexicon->generation());
  for (const auto& [word, replacement] : o.lexicon) {
    key += '\0';
    key += word;
    key += '\t';
    key += replacement;
  }
  return key;
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
  const Whole whole = whole_param(request, params);
  if (is_ssml(*raw, ssml_param(params))) {
    sched::SynthesisRequest base = api.resolve(params);
    base.usage = request.usage;
    const OutputSpec output = output_params(params, OutputSpec{});
    std::string key =
        BodyCache::key(base, output, silence_ms, true, text_key(api, *raw, text_opts));
    if (auto hit = cached(api, whole, key, output)) return std::move(*hit);
    auto audio = ssml_body(api, *raw, base, output, text::count_code_points(*raw),
                           SsmlOptions{"text", 0, silence_ms, text_opts});
    return answer(api, std::move(audio), output, whole, std::move(key));
  }
  sched::SynthesisRequest req = api.resolve(params);
  req.usage = request.usage;
  const OutputSpec output = output_params(params, OutputSpec{});
  std::string key = BodyCache::key(req, output, silence_ms, false, text_key(api, *raw, text_opts));
  if (auto hit = cached(api, whole, key, output)) return std::move(*hit);
  std::vector<text::MappedText> segments =
      prepare_text(api, *raw, frontend_options(api, req, text_opts, silence_ms), "text");
  req.segments = segment_texts(segments);

  auto audio = AudioBody::start(api.scheduler(), std::move(req), output,
                                text::count_code_points(*raw), silence_ms);
  return answer(api, std::move(audio), output, whole, std::move(key));
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
        if (head.param("complete"))
          throw bad_parameter("complete",
                              "not available with a streamed text body (send the "
                              "text as a JSON field or in the query)");
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
        return audio_response(source, output, rate);
      },
      head.path);
  add_cors(head, r);
  if (!r.stream) return r;
  return Upload{std::move(r), std::move(sink)};
}

}  // namespace lector::api
