#pragma once
// What a request says about its text before it is spoken: clean-up and normalization on or off
// (`normalize`), code read or skipped (`read_code`), emoji named or removed (`emoji_names`),
// and its own lexicon entries (`lexicon`, JSON routes and /v1/stream). The routes turn these,
// with the voice and the server's lexicon, into the options of the text front end
// (text/frontend.h) and prepare a whole text with prepare_text().
//
// Threading: pure functions and values; any thread.

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "sched/scheduler.h"
#include "text/frontend.h"

namespace lector::api {

class Api;

// A request may add at most this many lexicon entries of its own.
constexpr std::size_t kMaxRequestLexicon = 100;
// ... each word and replacement at most this many bytes.
constexpr std::size_t kMaxLexiconEntryBytes = 256;

struct TextOptions {
  bool normalize = true;         // clean-up and normalization
  text::CleanupOptions cleanup;  // code and emoji
  bool markup = true;            // clean-up of markdown; off for SSML text
  std::vector<std::pair<std::string, std::string>> lexicon;  // the request's own entries
};

// `normalize`, `read_code` and `emoji_names` (yes/no values) over `defaults` (the server's
// --read-code and --emoji-names). Throws bad_parameter naming the parameter.
TextOptions text_options(const ParamLookup& params, const TextOptions& defaults);

// The `lexicon` field of a JSON request: an object {"word": "replacement", ...}, at most
// kMaxRequestLexicon entries, non-empty words. Throws bad_parameter("lexicon", ...).
std::vector<std::pair<std::string, std::string>> lexicon_field(const nlohmann::json& value);
// `options.lexicon` from the object's `lexicon` field, when it has one.
void read_lexicon_field(const nlohmann::json& object, TextOptions& options);

// The front end's options for a text spoken by `request`: its voice's language, its engine and
// voice, the server's lexicon with the request's entries added; with sentence_silence, no early
// first fragment (its end would get a pause mid-sentence).
text::FrontendOptions frontend_options(const Api& api, const sched::SynthesisRequest& request,
                                       const TextOptions& options, int sentence_silence_ms = 0);

// A whole text the client sent: checked (valid UTF-8, at most `max_chars` code points, else
// --max-text-chars), then through the front end. Spans count code points of `raw` itself.
// Throws bad_parameter(param, ...) when it is bad or leaves nothing to speak.
std::vector<text::MappedText> prepare_text(const Api& api, std::string_view raw,
                                           const text::FrontendOptions& options, const char* param,
                                           std::size_t max_chars = 0);

// The texts of prepared segments, for the scheduler.
std::vector<std::string> segment_texts(const std::vector<text::MappedText>& segments);

}  // namespace lector::api
