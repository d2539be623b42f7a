#include "text/source_map.h"

#include <algorithm>

#include "text/utf8.h"

namespace lector::text {

void MappedText::append(std::string_view s, SourceSpan span) {
  text.append(s);
  spans.insert(spans.end(), count_code_points(s), span);
}

void MappedText::append_identity(std::string_view s, std::uint32_t first) {
  text.append(s);
  const std::size_t n = count_code_points(s);
  spans.reserve(spans.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::uint32_t>(first + i);
    spans.push_back({at, at + 1});
  }
}

void MappedText::append(const MappedText& other) {
  text += other.text;
  spans.insert(spans.end(), other.spans.begin(), other.spans.end());
}

MappedText identity_map(std::string_view s, std::uint32_t first) {
  MappedText m;
  m.append_identity(s, first);
  return m;
}

SourceSpan source_of(const MappedText& m, std::size_t first, std::size_t count) {
  if (first >= m.spans.size() || count == 0) {
    const std::uint32_t end = m.spans.empty() ? 0 : m.spans.back().end;
    return {end, end};
  }
  const std::size_t last = std::min(m.spans.size(), first + count);
  SourceSpan out = m.spans[first];
  for (std::size_t i = first + 1; i < last; ++i) {
    out.start = std::min(out.start, m.spans[i].start);
    out.end = std::max(out.end, m.spans[i].end);
  }
  return out;
}

MappedText compose(const MappedText& base, const MappedText& derived) {
  MappedText out;
  out.text = derived.text;
  out.spans.reserve(derived.spans.size());
  for (const SourceSpan& s : derived.spans)
    out.spans.push_back(source_of(base, s.start, s.end > s.start ? s.end - s.start : 0));
  return out;
}

}  // namespace lector::text
