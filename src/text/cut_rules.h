#pragma once
// Where a sentence is cut into segments: at most a cap of code points per segment (cut at clause
// punctuation, then white space, then between code points), and the early first fragment (the
// first clause after enough words). Private to src/text: split_segments and the incremental
// segmenter call these very functions so that both cut text by the same rules. Pure functions,
// callable from any thread; the views they return point into their arguments.

#include <cstddef>
#include <string_view>
#include <vector>

namespace lector::text::detail {

// Punctuation that ends a clause: , ; : — – and their Arabic and CJK forms.
bool is_clause_mark(char32_t c) noexcept;

// For trimmed, non-empty `piece`: the byte offset where its first part ends when it is longer than
// `cap` (>= 1) code points, else 0. Only the first cap + 1 code points decide where the cut goes.
std::size_t cap_cut(std::string_view piece, std::size_t cap);

// Appends `piece` (trimmed, non-empty) to `out`, cut into parts of at most `cap` code points.
void append_capped(std::string_view piece, std::size_t cap, std::vector<std::string_view>& out);

// Byte offset just after the first clause of `segment` preceded by at least `min_words` words
// that still leaves a word after it; 0 when there is none.
std::size_t find_first_fragment_cut(std::string_view segment, std::size_t min_words);

// Cuts pieces.front() at find_first_fragment_cut (min_words > 0), turning it into two pieces.
void split_first_fragment(std::vector<std::string_view>& pieces, std::size_t min_words);

}  // namespace lector::text::detail
