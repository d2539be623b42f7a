#include "text/frontend.h"

#include <utility>

#include "text/char_class.h"
#include "text/utf8.h"
#include "text/verbalize.h"

namespace lector::text {
namespace {

// What normalize() (utf8.h) turns into a space or removes: the segmenter's view of white space.
bool is_blank(char32_t c) {
  return detail::is_space(c) || c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfeff;
}

}  // namespace

struct Frontend::State {
  FrontendOptions options;
  Cleaner cleaner;
  IncrementalSegmenter segmenter;
  // Text handed to the segmenter and not yet matched by a segment it returned, with spans.
  std::string buffer;
  std::vector<SourceSpan> spans;
  std::size_t byte_pos = 0;  // matching resumes here
  std::size_t cp_pos = 0;    // ... which is this code point of `buffer`
  std::string tail;          // an incomplete UTF-8 sequence waiting for its end
  std::uint32_t fed = 0;     // source code points so far (normalize=false)

  static CleanupOptions cleanup_options(const FrontendOptions& o) {
    CleanupOptions c = o.cleanup;
    if (c.language.empty()) c.language = o.language;  // the words of spoken addresses
    return c;
  }

  // Whether the Cleaner runs: normalization on, and the text is markdown.
  bool cleans() const { return options.normalize && options.markup; }

  explicit State(FrontendOptions o)
      : options(std::move(o)),
        cleaner(cleanup_options(options)),
        segmenter(options.language, options.segmenter) {}

  // The next stretch of the source, complete code points only.
  MappedText clean(std::string_view source) {
    if (cleans()) return cleaner.feed(source);
    MappedText m = identity_map(source, fed);
    fed += static_cast<std::uint32_t>(m.spans.size());
    return m;
  }

  void hand_over(const MappedText& cleaned) {
    buffer += cleaned.text;
    spans.insert(spans.end(), cleaned.spans.begin(), cleaned.spans.end());
  }

  // Maps a segment the segmenter returned onto `buffer`: its code points are those of the
  // buffer in order, less the white space and control characters it collapsed or removed.
  MappedText align(const std::string& segment) {
    MappedText out;
    out.text = segment;
    out.spans.reserve(segment.size());
    std::size_t sp = 0;
    while (sp < segment.size()) {
      const char32_t want = decode_next(segment, sp);
      SourceSpan at = spans.empty() ? SourceSpan{} : spans[std::min(cp_pos, spans.size() - 1)];
      // The next code point of the buffer that matches. Should none (which the segmenter's
      // contract rules out), the position stays, so that later segments still align.
      std::size_t scan = byte_pos, scan_cp = cp_pos;
      while (scan < buffer.size()) {
        std::size_t next = scan;
        const char32_t have = decode_next(buffer, next);
        if (want == U' ' ? is_blank(have) : have == want) {
          at = spans[scan_cp];
          byte_pos = next;
          cp_pos = scan_cp + 1;
          break;
        }
        scan = next;
        ++scan_cp;
      }
      if (want == U' ') {  // the rest of a collapsed run of white space
        while (byte_pos < buffer.size()) {
          std::size_t next = byte_pos;
          if (!is_blank(decode_next(buffer, next))) break;
          byte_pos = next;
          ++cp_pos;
        }
      }
      out.spans.push_back(at);
    }
    compact();
    return out;
  }

  void compact() {
    if (byte_pos < 4096 && byte_pos * 2 < buffer.size()) return;
    buffer.erase(0, byte_pos);
    spans.erase(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(cp_pos));
    byte_pos = 0;
    cp_pos = 0;
  }

  std::vector<MappedText> finish_segments(std::vector<std::string> segments) {
    std::vector<MappedText> out;
    out.reserve(segments.size());
    for (const std::string& s : segments) {
      MappedText m = align(s);
      if (options.normalize) m = verbalize(m, options.language);
      if (options.lexicon)
        m = options.lexicon->apply(m, {options.language, options.engine, options.voice});
      if (!trim_is_empty(m.text)) out.push_back(std::move(m));
    }
    return out;
  }

  static bool trim_is_empty(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size())
      if (!is_blank(decode_next(s, pos))) return false;
    return true;
  }

  void clear() {
    buffer.clear();
    spans.clear();
    byte_pos = cp_pos = 0;
    tail.clear();
    fed = 0;
  }
};

Frontend::Frontend(FrontendOptions options) : state_(std::make_unique<State>(std::move(options))) {}
Frontend::~Frontend() = default;
Frontend::Frontend(Frontend&&) noexcept = default;
Frontend& Frontend::operator=(Frontend&&) noexcept = default;

std::vector<MappedText> Frontend::feed(std::string_view fragment) {
  State& s = *state_;
  s.tail.append(fragment);
  const std::size_t keep = utf8_incomplete_tail(s.tail);
  const MappedText cleaned = s.clean(std::string_view(s.tail).substr(0, s.tail.size() - keep));
  s.tail.erase(0, s.tail.size() - keep);
  s.hand_over(cleaned);
  std::vector<std::string> segments = s.segmenter.feed(cleaned.text);
  // A word the clean-up holds back (its markup undecided until it ends) would otherwise keep
  // the sentence before it waiting: its first letter is what settles that sentence's end.
  bool space = false;
  if (s.cleans())
    if (const char32_t next = s.cleaner.next_held(space); next != 0)
      for (std::string& seg : s.segmenter.settle_with(next, space))
        segments.push_back(std::move(seg));
  return s.finish_segments(std::move(segments));
}

std::vector<MappedText> Frontend::on_quiet() {
  State& s = *state_;
  std::vector<std::string> segments;
  if (s.cleans()) {
    const MappedText released = s.cleaner.on_quiet();
    s.hand_over(released);
    segments = s.segmenter.feed(released.text);
  }
  for (std::string& seg : s.segmenter.on_quiet()) segments.push_back(std::move(seg));
  return s.finish_segments(std::move(segments));
}

std::vector<MappedText> Frontend::flush() {
  State& s = *state_;
  MappedText last = s.clean(s.tail);
  s.tail.clear();
  if (s.cleans()) last.append(s.cleaner.finish());
  s.hand_over(last);
  std::vector<std::string> segments = s.segmenter.feed(last.text);
  for (std::string& seg : s.segmenter.flush()) segments.push_back(std::move(seg));
  std::vector<MappedText> out = s.finish_segments(std::move(segments));
  s.clear();
  return out;
}

void Frontend::reset() {
  State& s = *state_;
  s.cleaner.reset();
  s.segmenter.reset();
  s.clear();
}

std::size_t Frontend::pending_chars() const {
  const State& s = *state_;
  return s.segmenter.pending_chars() + (s.cleans() ? s.cleaner.held() : 0) +
         (s.tail.empty() ? 0 : 1);
}

std::vector<MappedText> prepare(std::string_view text, const FrontendOptions& options) {
  Frontend f(options);
  std::vector<MappedText> out = f.feed(text);
  for (MappedText& m : f.flush()) out.push_back(std::move(m));
  return out;
}

}  // namespace lector::text
