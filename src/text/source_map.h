#pragma once
// Text that has been rewritten (markdown removed, numbers spelled out, lexicon entries
// replaced) together with where each of its code points came from in the text the client sent,
// so that word events and barge-in can point into the client's own text. Pure values.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lector::text {

// Code points [start, end) of the client's text. A code point that was inserted (a spelled
// out "dollars") carries the span of what it replaces ("$3.50" as a whole).
struct SourceSpan {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  bool operator==(const SourceSpan&) const = default;
};

// UTF-8 text and one span per code point of it.
struct MappedText {
  std::string text;
  std::vector<SourceSpan> spans;

  // Appends `s`, every code point of it mapped to `span`.
  void append(std::string_view s, SourceSpan span);
  // Appends `s` whose code points come one to one from source code points `first`, `first+1`...
  void append_identity(std::string_view s, std::uint32_t first);
  // Appends another mapped text.
  void append(const MappedText& other);
  bool empty() const { return text.empty(); }
};

// `s` mapped one to one onto source code points starting at `first`.
MappedText identity_map(std::string_view s, std::uint32_t first = 0);

// The source span covering code points [first, first + count) of `m` (clamped; an empty span at
// the end of the text when nothing is covered): the smallest start to the largest end.
SourceSpan source_of(const MappedText& m, std::size_t first, std::size_t count);

// `derived` was produced from `base.text` with `derived.spans` pointing into base.text's code
// points; returns it with spans pointing into what base's spans point into.
MappedText compose(const MappedText& base, const MappedText& derived);

}  // namespace lector::text
