#include "api/ssml_request.h"

#include <algorithm>

#include "api/params.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

// The engine and voice a <voice name> means, starting from the request's engine.
std::pair<std::string, std::string> resolve_voice(const sched::Catalog& catalog,
                                                  const sched::SynthesisRequest& base,
                                                  const std::string& name, const char* param) {
  if (name.empty()) return {base.engine, base.voice};
  std::string engine = base.engine;
  std::string voice = name;
  if (const std::size_t colon = name.find(':');
      colon != std::string::npos && catalog.engine(name.substr(0, colon)) != nullptr) {
    engine = name.substr(0, colon);
    voice = name.substr(colon + 1);
  }
  if (const sched::EngineInfo* e = catalog.engine(engine); e && e->find_voice(voice))
    return {engine, voice};
  // A voice of another engine, by its bare name ("slt" while speaking with espeak).
  if (voice == name) {
    for (const sched::EngineInfo* e : catalog.engines())
      if (e->find_voice(voice) != nullptr) return {e->name, voice};
  }
  throw bad_parameter(param, "SSML <voice name=" + quote(name) + ">: no engine has this voice");
}

double clamp_product(double a, double b, double lo, double hi) {
  return std::clamp(a * b, lo, hi);
}

}  // namespace

bool is_ssml(std::string_view text, std::optional<bool> asked) {
  return asked ? *asked : text::looks_like_ssml(text);
}

std::vector<AudioRun> ssml_runs(Api& api, std::string_view document,
                                const sched::SynthesisRequest& base, const SsmlOptions& options) {
  const char* param = options.text_param;
  if (!text::is_valid_utf8(document)) throw bad_parameter(param, "not valid UTF-8");
  const std::size_t max_chars =
      options.max_chars != 0 ? options.max_chars : api.config().max_text_chars;
  if (const std::size_t chars = text::count_code_points(document); chars > max_chars)
    throw bad_parameter(param, "too long: " + std::to_string(chars) + " characters, the limit is " +
                                   std::to_string(max_chars));
  const std::vector<text::SsmlPiece> pieces = text::parse_ssml(document, {}, param);

  TextOptions text_opts = options.text;
  text_opts.markup = false;
  // The lexicon (with the request's entries) is built once for every piece.
  const text::FrontendOptions frontend =
      frontend_options(api, base, text_opts, options.sentence_silence_ms);
  const std::shared_ptr<const sched::Catalog> catalog = api.scheduler().catalog();
  std::vector<AudioRun> runs;
  bool first_speech = true;
  for (const text::SsmlPiece& piece : pieces) {
    if (piece.is_pause()) {
      if (!runs.empty() && runs.back().is_pause()) {
        runs.back().pause_ms += piece.break_ms;
        continue;
      }
      AudioRun pause;
      // A pause names the voice around it only for its rate (the body's rate when it comes
      // first): the previous run's, else the request's.
      pause.request.engine = runs.empty() ? base.engine : runs.back().request.engine;
      pause.request.voice = runs.empty() ? base.voice : runs.back().request.voice;
      pause.pause_ms = piece.break_ms;
      runs.push_back(std::move(pause));
      continue;
    }
    sched::SynthesisRequest req;
    req.usage = base.usage;  // the key's meter: every run counts against it
    std::tie(req.engine, req.voice) = resolve_voice(*catalog, base, piece.voice, param);
    req.params.speed = clamp_product(base.params.speed, piece.params.speed, 0.25, 4.0);
    req.params.pitch = clamp_product(base.params.pitch, piece.params.pitch, 0.5, 2.0);
    req.params.volume = clamp_product(base.params.volume, piece.params.volume, 0.0, 2.0);
    text::FrontendOptions piece_frontend = frontend;
    piece_frontend.language = !piece.language.empty() ? piece.language : api.language_of(req);
    piece_frontend.engine = req.engine;
    piece_frontend.voice = req.voice;
    // Only the document's first segment is cut early: later ones start while audio plays.
    if (!first_speech) piece_frontend.segmenter.segmenter.first_fragment_min_words = 0;
    std::vector<std::string> segments = segment_texts(text::prepare(piece.text, piece_frontend));
    if (segments.empty()) continue;
    first_speech = false;
    if (!runs.empty() && !runs.back().is_pause()) {
      sched::SynthesisRequest& prev = runs.back().request;
      if (prev.engine == req.engine && prev.voice == req.voice && prev.params == req.params) {
        prev.segments.insert(prev.segments.end(), std::make_move_iterator(segments.begin()),
                             std::make_move_iterator(segments.end()));
        continue;
      }
    }
    req.segments = std::move(segments);
    AudioRun run;
    run.request = std::move(req);
    runs.push_back(std::move(run));
  }
  if (runs.empty()) throw bad_parameter(param, "SSML document has nothing to speak");
  return runs;
}

std::shared_ptr<AudioBody> ssml_body(Api& api, std::string_view document,
                                     const sched::SynthesisRequest& base, const OutputSpec& output,
                                     std::size_t chars, const SsmlOptions& options) {
  std::vector<AudioRun> runs = ssml_runs(api, document, base, options);
  return AudioBody::start(api.scheduler(), std::move(runs), output, chars,
                          options.sentence_silence_ms);
}

}  // namespace lector::api
