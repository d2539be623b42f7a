#pragma once
// SSML requests: a document (text/ssml.h) turned into the runs of one response (AudioRun, see
// audio_body.h): each speech piece's voice resolved against the catalog, its text segmented
// in its language (through the text front end, without markdown clean-up), adjacent pieces of the
// same engine, voice and parameters merged into one run, pauses between them as pause runs.
//
// Entry points for the protocols (every one is a few lines on top of these):
//   - an HTTP route with a BodySource: ssml_body() (then AudioBody::response, or an SseBody);
//   - another transport that plays runs itself (Wyoming): ssml_runs(), then for each run in
//     order either `pause_ms` of zero samples at its own rate, or Scheduler::submit(run.request)
//     and the handle's audio, resampled to one rate when the runs' rates differ (the voice's
//     rate: Scheduler::engine(run.request.engine)->rate_of(voice)).
// Errors are lector::Error(kBadParameter) naming the route's text parameter (`text_param`:
// "text", "input", "INPUT_TEXT", ...), with the line and column of the document.
//
// Threading: any thread; these only read the catalog snapshot and the server defaults.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/audio_body.h"
#include "api/output.h"
#include "api/text_options.h"
#include "text/ssml.h"

namespace lector::api {

struct SsmlOptions {
  const char* text_param = "text";
  std::size_t max_chars = 0;    // of the document, in code points; 0: --max-text-chars
  int sentence_silence_ms = 0;  // > 0 turns the early first fragment off (a pause mid-sentence)
  // normalize and the request's lexicon entries. SSML text is not markdown: it is normalized
  // (numbers, units, ...) but never cleaned of markup, whatever `markup` says.
  TextOptions text;
};

// The runs of `document`. `base` is the request's own engine, voice and parameters (from
// Api::resolve): pieces without a <voice> use them, prosody multiplies its parameters (the
// products clamped to the server's ranges). A <voice name> is a voice of the current engine,
// an id "engine:name", or a voice of another engine by its name. Throws on a malformed
// document, an unknown voice, nothing to speak (no text and no pause).
std::vector<AudioRun> ssml_runs(Api& api, std::string_view document,
                                const sched::SynthesisRequest& base, const SsmlOptions& options);

// ssml_runs, started as one response body (the first speech run is submitted: a refusal
// throws, e.g. kOverloaded). `chars`: the document's length, for the request's record.
std::shared_ptr<AudioBody> ssml_body(Api& api, std::string_view document,
                                     const sched::SynthesisRequest& base, const OutputSpec& output,
                                     std::size_t chars, const SsmlOptions& options);

// Whether a request's text is to be read as SSML: as the request says (`ssml=1`, MaryTTS's
// INPUT_TYPE=SSML; `ssml=0` forces plain text), else when the text starts with <speak
// (text::looks_like_ssml). Plain text that merely starts with '<' is text.
bool is_ssml(std::string_view text, std::optional<bool> asked);

}  // namespace lector::api
