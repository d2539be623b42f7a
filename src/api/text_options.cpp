#include "api/text_options.h"

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/lexicon_store.h"
#include "api/params.h"
#include "core/error.h"
#include "text/utf8.h"

namespace lector::api {

TextOptions text_options(const ParamLookup& params, const TextOptions& defaults) {
  TextOptions o = defaults;
  o.normalize = bool_param(params, "normalize", defaults.normalize);
  const bool read_code =
      bool_param(params, "read_code", defaults.cleanup.code == text::CleanupOptions::Code::kRead);
  o.cleanup.code =
      read_code ? text::CleanupOptions::Code::kRead : text::CleanupOptions::Code::kSkip;
  const bool names = bool_param(params, "emoji_names",
                                defaults.cleanup.emoji == text::CleanupOptions::Emoji::kName);
  o.cleanup.emoji =
      names ? text::CleanupOptions::Emoji::kName : text::CleanupOptions::Emoji::kRemove;
  return o;
}

std::vector<std::pair<std::string, std::string>> lexicon_field(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (!value.is_object())
    throw bad_parameter("lexicon", "must be an object {\"word\": \"replacement\", ...}");
  if (value.size() > kMaxRequestLexicon)
    throw bad_parameter("lexicon", std::to_string(value.size()) + " entries; the limit is " +
                                       std::to_string(kMaxRequestLexicon));
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(value.size());
  for (const auto& [word, replacement] : value.items()) {
    if (!replacement.is_string())
      throw bad_parameter("lexicon", "the replacement of " + quote(word) + " must be a string");
    std::string r = replacement.get<std::string>();
    if (word.empty()) throw bad_parameter("lexicon", "an entry has an empty word");
    if (word.size() > kMaxLexiconEntryBytes || r.size() > kMaxLexiconEntryBytes)
      throw bad_parameter("lexicon", "the entry " + quote(word) + " is longer than " +
                                         std::to_string(kMaxLexiconEntryBytes) + " bytes");
    if (!text::is_valid_utf8(word) || !text::is_valid_utf8(r))
      throw bad_parameter("lexicon", "not valid UTF-8");
    entries.emplace_back(word, std::move(r));
  }
  return entries;
}

void read_lexicon_field(const nlohmann::json& object, TextOptions& options) {
  if (auto it = object.find("lexicon"); it != object.end()) options.lexicon = lexicon_field(*it);
}

text::FrontendOptions frontend_options(const Api& api, const sched::SynthesisRequest& request,
                                       const TextOptions& options, int sentence_silence_ms) {
  text::FrontendOptions f;
  const sched::EngineInfo* engine = api.scheduler().engine(request.engine);
  f.normalize = options.normalize && !(engine && engine->caps.text_as_written);
  f.cleanup = options.cleanup;
  f.markup = options.markup;
  f.segmenter.segmenter = api.config().segmenter;
  if (sentence_silence_ms > 0) f.segmenter.segmenter.first_fragment_min_words = 0;
  f.language = api.language_of(request);
  f.engine = request.engine;
  f.voice = request.voice;
  std::shared_ptr<const text::Lexicon> base =
      api.config().lexicon ? api.config().lexicon->current() : nullptr;
  if (!options.lexicon.empty()) {
    const text::Lexicon empty;
    try {
      f.lexicon = std::make_shared<const text::Lexicon>(
          (base ? *base : empty).with_additions(options.lexicon));
    } catch (const Error& e) {
      throw bad_parameter("lexicon", e.what());
    }
  } else {
    f.lexicon = std::move(base);
  }
  return f;
}

std::vector<text::MappedText> prepare_text(const Api& api, std::string_view raw,
                                           const text::FrontendOptions& options, const char* param,
                                           std::size_t max_chars) {
  if (!text::is_valid_utf8(raw)) throw bad_parameter(param, "not valid UTF-8");
  const std::size_t limit = max_chars != 0 ? max_chars : api.config().max_text_chars;
  if (const std::size_t chars = text::count_code_points(raw); chars > limit)
    throw bad_parameter(param, "too long: " + std::to_string(chars) + " characters, the limit is " +
                                   std::to_string(limit));
  std::vector<text::MappedText> segments = text::prepare(raw, options);
  if (segments.empty()) {
    // Blank, or nothing left once markup was cleaned away.
    if (text::normalize(raw).empty()) throw bad_parameter(param, "empty");
    throw bad_parameter(param, "has nothing to speak");
  }
  return segments;
}

std::vector<std::string> segment_texts(const std::vector<text::MappedText>& segments) {
  std::vector<std::string> out;
  out.reserve(segments.size());
  for (const text::MappedText& m : segments) out.push_back(m.text);
  return out;
}

}  // namespace lector::api
