#pragma once
// Kokoro's vocabulary and token runs. The vocabulary is config.json's "vocab" object (a
// phoneme, one code point, to its token id). Phonemes (phonemizer.h's IPA, clauses each ended
// by its punctuation mark and joined by one space) become token ids one per code point,
// unknown code points dropped, and are cut into runs the model accepts:
//
// - a run holds at most kKokoroMaxTokens ids (the model's 512 positions less the two pads);
// - runs are cut only between clauses (after a punctuation mark , ; : . ! ? that is followed
//   by a space or ends the text); the space at a cut is dropped, nothing else is;
// - a single clause longer than a run is cut at its last space that fits, or, with none, at
//   the limit.
//
// Immutable after loading: any thread may use it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lector::engine::neural {

constexpr std::size_t kKokoroMaxTokens = 510;

class KokoroVocab {
 public:
  // Parses a config.json's text; throws lector::Error(kUnavailable) starting with `label` when
  // it is not JSON, has no "vocab" object, or the object has no usable entry.
  static KokoroVocab parse(std::string_view json, const std::string& label);
  // Reads and parses the file at `path`.
  static KokoroVocab load(const std::string& path);

  std::size_t size() const { return ids_.size(); }
  // The id of `phoneme`, or -1 when the vocabulary has none.
  std::int64_t id(char32_t phoneme) const;

 private:
  std::unordered_map<char32_t, std::int64_t> ids_;
};

// `phonemes` as runs of token ids (without the padding), by the rules above. Empty runs (a
// clause of unknown phonemes only) are left out.
std::vector<std::vector<std::int64_t>> kokoro_runs(const KokoroVocab& vocab,
                                                   std::u32string_view phonemes,
                                                   std::size_t max_tokens = kKokoroMaxTokens);

}  // namespace lector::engine::neural
