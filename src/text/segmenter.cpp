#include "text/segmenter.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/error.h"
#include "text/char_class.h"
#include "text/cut_rules.h"
#include "text/sentence_breaker.h"

namespace lector::text {
namespace {

// Sentences of `text` as trimmed, non-empty views into it.
std::vector<std::string_view> find_sentences(std::string_view text, std::string_view language) {
  std::vector<std::string_view> sentences;
  if (text.empty()) return sentences;

  detail::SentenceBreaker breaker(language);
  breaker.set_text(text);
  std::size_t begin = 0;
  for (std::size_t end = breaker.next(); end != detail::SentenceBreaker::kDone;
       end = breaker.next()) {
    const std::string_view before = text.substr(begin, end - begin);
    if (end < text.size() && breaker.is_abbreviation_stop(before)) continue;
    const std::string_view trimmed = detail::trim(before);
    if (!trimmed.empty()) sentences.push_back(trimmed);
    begin = end;
  }
  return sentences;
}
}  // namespace

std::vector<std::string> split_segments(std::string_view utf8_text, std::string_view language,
                                        const SegmenterOptions& options) {
  // ICU's break iterators report positions as int32_t.
  if (utf8_text.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(ErrorCode::kTooLarge, "text is too large to segment");
  }
  // A cap of 0 would leave nothing to put in a segment. A piece never has more code points than
  // bytes, so clamping to the text size changes nothing else and keeps cap + 1 from overflowing.
  const std::size_t cap = std::clamp<std::size_t>(options.max_segment_chars, 1,
                                                  std::max<std::size_t>(utf8_text.size(), 1));

  std::vector<std::string_view> pieces;
  for (const std::string_view sentence : find_sentences(utf8_text, language)) {
    detail::append_capped(sentence, cap, pieces);
  }
  detail::split_first_fragment(pieces, options.first_fragment_min_words);

  std::vector<std::string> segments;
  segments.reserve(pieces.size());
  for (const std::string_view piece : pieces) segments.emplace_back(piece);
  return segments;
}

}  // namespace lector::text
