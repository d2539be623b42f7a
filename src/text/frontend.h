#pragma once
// The text front end of one utterance: the client's text in, the segments an engine speaks out,
// each with a map back into the client's text. Clean-up (cleanup.h) runs on the stream before
// segmentation (it needs line starts and holds back undecided markup), then the incremental
// segmenter, then per segment normalization (verbalize.h) and the lexicon (lexicon.h).
//
// Offsets: spans count code points of the text the client sent for this utterance, from its
// first fragment (reset() and flush() start a new utterance at 0). Not thread-safe: one per
// stream of text.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/cleanup.h"
#include "text/incremental.h"
#include "text/lexicon.h"
#include "text/source_map.h"

namespace lector::text {

struct FrontendOptions {
  // Clean-up and normalization; false (a request's normalize=false) passes text as written,
  // only segmented.
  bool normalize = true;
  CleanupOptions cleanup;
  // Markdown clean-up (with normalize); false for text that is not markdown (SSML), which is
  // then only normalized.
  bool markup = true;
  IncrementalOptions segmenter;
  // Applied to every segment when set (also with normalize=false).
  std::shared_ptr<const Lexicon> lexicon;
  std::string language;  // BCP-47 or espeak name
  std::string engine;
  std::string voice;
};

class Frontend {
 public:
  explicit Frontend(FrontendOptions options);
  ~Frontend();
  Frontend(Frontend&&) noexcept;
  Frontend& operator=(Frontend&&) noexcept;

  // As IncrementalSegmenter: segments that became final, in order, each non-empty.
  std::vector<MappedText> feed(std::string_view fragment);
  std::vector<MappedText> on_quiet();
  std::vector<MappedText> flush();
  void reset();
  std::size_t pending_chars() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A whole text at once (feed then flush): what the routes with a complete body use.
std::vector<MappedText> prepare(std::string_view text, const FrontendOptions& options);

}  // namespace lector::text
