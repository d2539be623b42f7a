#include "api/heard.h"

#include <algorithm>

#include "text/utf8.h"

namespace lector::api {

void HeardTracker::add_segments(std::vector<text::MappedText> segments) {
  for (text::MappedText& m : segments) segments_.push_back(std::move(m));
}

const std::string& HeardTracker::segment_text(std::size_t i) const {
  static const std::string none;
  return i < segments_.size() ? segments_[i].text : none;
}

text::SourceSpan HeardTracker::segment_span(std::size_t i) const {
  if (i >= segments_.size()) return {};
  return text::source_of(segments_[i], 0, segments_[i].spans.size());
}

HeardWord HeardTracker::word(const sched::AudioMark& mark) const {
  HeardWord w;
  if (mark.segment >= segments_.size()) return w;
  const text::MappedText& m = segments_[mark.segment];
  w.text = std::string(text::utf8_substr(m.text, mark.text_offset, mark.text_length));
  const text::SourceSpan span = text::source_of(m, mark.text_offset, mark.text_length);
  w.start = span.start;
  w.end = span.end;
  return w;
}

void HeardTracker::mark(const sched::AudioMark& mark) {
  // The word before ends where the next word or the segment's end begins.
  if (!words_.empty() && !words_.back().end && mark.kind != sched::AudioMark::Kind::kSegmentStart)
    words_.back().end = mark.offset;
  if (mark.kind == sched::AudioMark::Kind::kWord) {
    words_.push_back(Word{mark, std::nullopt});
  } else if (mark.kind == sched::AudioMark::Kind::kSegmentEnd) {
    segment_ends_.emplace_back(mark.segment, mark.offset);
  }
}

Heard HeardTracker::heard(std::size_t pcm_bytes) const {
  Heard h;
  // Reverse iterators, not std::ranges::reverse_view: the fuzz build's clang 14 cannot use
  // libstdc++ 12's ranges.
  for (auto it = segment_ends_.rbegin(); it != segment_ends_.rend(); ++it) {
    const auto& [segment, offset] = *it;
    if (offset <= pcm_bytes) {
      h.segment = segment;
      h.source_offset = segment_span(segment).end;
      break;
    }
  }
  for (auto it = words_.rbegin(); it != words_.rend(); ++it) {
    const Word& w = *it;
    if (w.end && *w.end <= pcm_bytes) {
      h.word = word(w.mark);
      h.source_offset = std::max(h.source_offset, h.word->end);
      break;
    }
  }
  return h;
}

}  // namespace lector::api
