#pragma once
// The inline half of the clean-up (cleanup.h): the writer that places white space, table-cell
// commas and sentence ends in the clean text, and the rules for one white-space-free token
// (emphasis, links, tags, URLs, e-mail addresses, emoji, punctuation runs). Private to
// src/text; the line structure (headings, lists, quotes, tables, fences, code spans) lives in
// cleanup.cpp. Pure values, one per Cleaner.

#include <cstdint>
#include <span>
#include <string_view>

#include "text/cleanup.h"
#include "text/source_map.h"

namespace lector::text::detail {

// A code point of the source and its index there.
struct SourceChar {
  char32_t c = 0;
  std::uint32_t pos = 0;
};

// Collects the clean text. White space is held until visible text follows, so that dropped
// markup leaves no runs of spaces, a cell comma lands right after its cell and a sentence end
// right after the last word.
class CleanWriter {
 public:
  // A code point copied from the source.
  void text(char32_t c, std::uint32_t pos);
  // Text that stands for source code points `span` ("dot" for a host's '.', an emoji's name).
  void inserted(std::string_view s, SourceSpan span);
  // White space at `pos`: one space (a newline when any of the run is one) before the next text.
  void space(std::uint32_t pos, bool newline = false);
  // A table cell ends at `pos`: ", " before the next text of the same row.
  void cell_break(std::uint32_t pos);
  // A heading, list item, row or paragraph ends: "." unless the text already ends a sentence.
  void end_sentence(SourceSpan span);
  // A new source line starts.
  void new_line();
  bool line_emitted() const { return line_emitted_; }
  // White space is held, waiting for the next visible text.
  bool space_pending() const { return space_pending_ && any_; }
  // A table cell's ", " is held, waiting for the next visible text.
  bool cell_pending() const { return cell_pending_; }
  // The text written since the last take().
  MappedText take();
  // Forgets everything (a new source).
  void reset();

 private:
  void before_visible(char32_t next);

  MappedText out_;
  bool any_ = false;  // visible text written since the source started
  bool line_emitted_ = false;
  bool open_sentence_ = false;  // visible text since the last sentence end
  char32_t last_ = 0;           // the last two visible code points
  char32_t before_last_ = 0;
  bool space_pending_ = false;
  bool space_newline_ = false;
  SourceSpan space_span_;
  bool cell_pending_ = false;
  SourceSpan cell_span_;
};

// Writes the clean reading of `token`, a run of source code points without white space whose
// neighbours are white space, line ends or code spans.
void clean_token(std::span<const SourceChar> token, const CleanupOptions& options,
                 CleanWriter& out);

// True for the code points that end a sentence (". ! ? : ; …" and their CJK forms).
bool is_final_punctuation(char32_t c) noexcept;

}  // namespace lector::text::detail
