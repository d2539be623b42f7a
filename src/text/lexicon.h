#pragma once
// A pronunciation lexicon: whole words (case-insensitive) replaced by other text, or by
// phonemes for the engines that take them. Loaded from the operator's `--lexicon FILE` (one
// entry a line, `word<TAB>replacement`, `#` comments; the extensions are documented in the
// README) and extended per request. Immutable once built, so one instance is shared by every
// thread; per-request additions make a new one with with_additions().

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/source_map.h"

namespace lector::text {

// Where a segment will be spoken: entries may be limited to a language, an engine or a voice.
struct LexiconContext {
  std::string_view language;  // BCP-47 or espeak name of the voice's language
  std::string_view engine;    // "espeak", "flite", "festival", ...
  std::string_view voice;     // the voice's name within its engine
};

class Lexicon {
 public:
  Lexicon();
  ~Lexicon();
  Lexicon(const Lexicon&);
  Lexicon& operator=(const Lexicon&);
  Lexicon(Lexicon&&) noexcept;
  Lexicon& operator=(Lexicon&&) noexcept;

  // Parses a lexicon file's content. Throws lector::Error (kBadParameter) naming `origin` and the
  // line of the first bad entry.
  static Lexicon parse(std::string_view content, std::string_view origin);
  // This lexicon plus plain `word -> replacement` entries that take precedence (a request's
  // own). Throws lector::Error (kBadParameter) for an empty word.
  Lexicon with_additions(const std::vector<std::pair<std::string, std::string>>& entries) const;

  // `segment` with every entry that applies in `context` replaced. Spans of a replacement
  // cover the word it replaces.
  MappedText apply(const MappedText& segment, const LexiconContext& context) const;
  std::size_t size() const;

 private:
  struct Entries;
  std::shared_ptr<const Entries> entries_;
};

}  // namespace lector::text
