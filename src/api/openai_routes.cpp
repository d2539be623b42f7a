// OpenAI's speech API: POST /v1/audio/speech, GET /v1/models, GET /v1/audio/voices. Errors on
// these paths have OpenAI's shape (Api::error_response). The mapping of OpenAI's model and
// voice names is in openai_voices.h.

#include "api/audio_body.h"
#include "api/dto.h"
#include "api/openai_speech.h"
#include "api/routes.h"
#include "api/sse_body.h"
#include "api/ssml_request.h"
#include "api/text_options.h"
#include "text/frontend.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// The string field `name`, if present; a 400 naming it when it is not a string.
std::optional<std::string> string_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw bad_parameter(name, "must be a string");
  return it->get<std::string>();
}

// The number field `name` rendered as text for number_param (which checks its range).
std::optional<std::string> number_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw bad_parameter(name, "must be a number");
  return it->dump();
}

// `voice`: a name, or an object {"id": name} (OpenAI's custom-voice form).
std::string voice_field(const json& body) {
  auto it = body.find("voice");
  if (it == body.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto id = it->find("id");
    if (id != it->end() && id->is_string()) return id->get<std::string>();
    throw bad_parameter("voice", "an object voice needs a string field 'id'");
  }
  throw bad_parameter("voice", "must be a string or an object with an 'id'");
}

}  // namespace

OpenAiSpeech start_openai_speech(Api& api, const HttpRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    throw Error(ErrorCode::kBadParameter, "request body is not a JSON object");

  const std::optional<std::string> input = string_field(body, "input");
  if (!input) throw bad_parameter("input", "missing");
  const bool ssml = text::looks_like_ssml(*input);
  (void)string_field(body, "instructions");  // accepted and ignored (README)

  const sched::Scheduler& scheduler = api.scheduler();
  const std::optional<std::string> model = string_field(body, "model");
  std::optional<std::string> engine;
  if (model && !is_openai_model(*model)) {
    if (scheduler.engine(*model) == nullptr) {
      std::string known;
      for (std::string_view m : openai_model_names()) known += std::string(m) + ", ";
      for (const auto& e : scheduler.engines()) known += e.name + ", ";
      throw bad_parameter("model", "unknown model " + quote(*model) + "; one of " +
                                       known.substr(0, known.size() - 2));
    }
    engine = *model;
  }
  std::string voice = voice_field(body);
  if (voice.empty() && body.contains("voice")) throw bad_parameter("voice", "empty");
  const auto& names = openai_voice_names();
  if (std::find(names.begin(), names.end(), voice) != names.end()) {
    if (!engine) engine = openai_voice_engine(voice, api.config().openai_voices);
    const std::string e = engine ? *engine : api.defaults().engine();
    const sched::EngineInfo* info = scheduler.engine(e);
    if (info == nullptr) throw bad_parameter("model", "unknown engine " + quote(e));
    voice = map_openai_voice(voice, *info, api.config().openai_voices, api.defaults().voice(e));
    engine = e;
  }

  // Everything else goes through the parameters every route shares.
  const std::optional<std::string> speed = number_field(body, "speed");
  const std::optional<std::string> pitch = number_field(body, "pitch");
  const std::optional<std::string> volume = number_field(body, "volume");
  const std::optional<std::string> sample_rate = number_field(body, "sample_rate");
  const std::optional<std::string> sentence_silence = number_field(body, "sentence_silence");
  const std::optional<std::string> format = string_field(body, "response_format");
  // Lector's extra fields: `normalize`, `read_code`, `emoji_names` (booleans) and `lexicon`.
  const ParamLookup fields = json_params(body);
  const ParamLookup text_params = [&](const char* name) -> std::optional<std::string> {
    const std::string_view n = name;
    if (n == "normalize" || n == "read_code" || n == "emoji_names") return fields(name);
    return std::nullopt;
  };
  TextOptions text_opts = text_options(text_params, api.config().text);
  read_lexicon_field(body, text_opts);
  const ParamLookup params = [&](const char* name) -> std::optional<std::string> {
    const std::string_view n = name;
    if (n == "engine") return engine;
    if (n == "voice") return voice.empty() ? std::nullopt : std::optional(voice);
    if (n == "speed") return speed;
    if (n == "pitch") return pitch;
    if (n == "volume") return volume;
    if (n == "sample_rate") return sample_rate;
    if (n == "response_format") return format;
    if (n == "sentence_silence") return sentence_silence;
    return std::nullopt;
  };
  const int silence_ms = sentence_silence_param(params, api.config().sentence_silence);
  sched::SynthesisRequest req = api.resolve(params);
  req.usage = request.usage;
  // OpenAI's audio is 24 kHz in every format; clients of `pcm` rely on it.
  const OutputSpec output =
      output_params(params, OutputSpec{audio::Format::kMp3, 24000}, "response_format");

  const std::optional<std::string> stream_format = string_field(body, "stream_format");
  if (stream_format && *stream_format != "audio" && *stream_format != "sse")
    throw bad_parameter("stream_format",
                        "unknown stream format " + quote(*stream_format) + "; one of audio, sse");

  OpenAiSpeech speech;
  speech.sse = stream_format && *stream_format == "sse";
  speech.output = output;
  const std::size_t chars = text::count_code_points(*input);
  speech.chars = chars;
  if (ssml) {
    speech.audio =
        ssml_body(api, *input, req, output, chars,
                  SsmlOptions{"input", api.config().openai_max_input, silence_ms, text_opts});
  } else {
    speech.segments = prepare_text(api, *input, frontend_options(api, req, text_opts, silence_ms),
                                   "input", api.config().openai_max_input);
    req.segments = segment_texts(speech.segments);
    speech.text = *input;
    speech.audio = AudioBody::start(api.scheduler(), std::move(req), output, chars, silence_ms,
                                    speech.segments);
  }
  return speech;
}

namespace {

Response speech(Api& api, const HttpRequest& request) {
  OpenAiSpeech started = start_openai_speech(api, request);
  if (started.sse) {
    std::unique_ptr<WordTimeline> words;
    if (!started.segments.empty())
      words = std::make_unique<WordTimeline>(started.text, std::move(started.segments));
    return SseBody::response(
        std::make_shared<SseBody>(std::move(started.audio), started.chars, std::move(words)));
  }
  const int rate = started.audio->output_rate();
  return AudioBody::response(std::move(started.audio), started.output, rate);
}

Response models(const sched::Scheduler& scheduler) {
  json data = json::array();
  const auto add = [&](std::string_view id) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "lector"}});
  };
  for (std::string_view m : openai_model_names()) add(m);
  for (const auto& e : scheduler.engines()) add(e.name);
  return json_response({{"object", "list"}, {"data", std::move(data)}});
}

Response voices(const sched::Scheduler& scheduler) {
  json list = json::array();
  for (const auto& e : scheduler.engines())
    for (const VoiceInfo& v : e.voices) list.push_back(voice_json(e, v));
  return json_response({{"voices", std::move(list)}});
}

}  // namespace

void add_openai_routes(RouteTable& routes, Api& api) {
  routes.add("/v1/audio/speech", {"POST"},
             [&api](const HttpRequest& request) { return speech(api, request); });
  routes.add("/v1/models", {"GET"}, [&api](const HttpRequest&) { return models(api.scheduler()); });
  routes.add("/v1/audio/voices", {"GET"},
             [&api](const HttpRequest&) { return voices(api.scheduler()); });
}

}  // namespace lector::api
