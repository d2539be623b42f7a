#include "text/incremental.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/error.h"
#include "text/char_class.h"
#include "text/cut_rules.h"
#include "text/sentence_breaker.h"
#include "text/utf8.h"

namespace lector::text {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// Matches ICU's int32 offsets, like split_segments.
constexpr auto kMaxPendingBytes = static_cast<std::size_t>(std::numeric_limits<int32_t>::max());

// Below this many bytes, dropping text that is no longer needed is not worth a copy.
constexpr std::size_t kMinCompaction = 1024;

// How far back to look for a place to restart ICU or to keep context from. Only garbage such as a
// thousand closing brackets or combining marks in a row offers none within this distance; there
// the scan starts here anyway, and the cost of a fragment stays bounded.
constexpr std::size_t kMaxLookBack = 1024;

int32_t sentence_break(char32_t c) noexcept {
  return u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_SENTENCE_BREAK);
}

// Whether `c`, found after a sentence boundary, settles it. UAX #29 decides most boundaries from
// the character right after them, except rule SB8: after a full stop, a lower-case letter further
// on, past anything but letters and sentence punctuation, cancels the break ("etc. (and so on)",
// "He left. 5 apples"). The first letter, separator or sentence punctuation ends that look-ahead,
// so once one has arrived the boundary stands, and so do the decisions before it.
bool settles_boundary(char32_t c) noexcept {
  switch (sentence_break(c)) {
    case U_SB_OLETTER:
    case U_SB_UPPER:
    case U_SB_LOWER:
    case U_SB_STERM:
    case U_SB_ATERM:
    case U_SB_SEP:
    case U_SB_CR:
    case U_SB_LF:
      return true;
    default:
      return false;
  }
}

// Whether ICU may start at `pos` in the middle of a sentence and still find the boundaries after
// it that a scan from the sentence start would find. UAX #29 rules look back over a sentence
// ending, "(letter) full-stop-or-? closers* spaces*" (combining and format characters count with
// the character before them). A character that cannot continue such an ending cuts every
// look-back; so does a full stop or question mark that cannot be the letter-led kind, which
// starts a new ending of its own (". . . ." would otherwise offer no place to start again).
bool can_restart_at(std::string_view text, std::size_t pos) noexcept {
  switch (sentence_break(decode_at(text, pos).value)) {
    case U_SB_CLOSE:
    case U_SB_SP:
    case U_SB_EXTEND:
    case U_SB_FORMAT:
    case U_SB_SEP:
    case U_SB_CR:
    case U_SB_LF:
      return false;
    case U_SB_ATERM:
    case U_SB_STERM:
      if (pos == 0) return false;
      switch (sentence_break(decode_at(text, previous_start(text, pos)).value)) {
        case U_SB_SP:
        case U_SB_CLOSE:
        case U_SB_ATERM:
        case U_SB_STERM:
          return true;
        default:
          return false;
      }
    default:
      return true;
  }
}

}  // namespace

IncrementalSegmenter::IncrementalSegmenter(std::string_view language, IncrementalOptions options)
    : options_(options),
      // A cap of 0 would leave nothing to put in a segment; the upper clamp keeps cap + 1 from
      // overflowing and changes nothing, as no piece has more code points than bytes.
      cap_(std::clamp<std::size_t>(options.segmenter.max_segment_chars, 1, kMaxPendingBytes)),
      breaker_(std::make_unique<detail::SentenceBreaker>(language)) {}

IncrementalSegmenter::~IncrementalSegmenter() = default;
IncrementalSegmenter::IncrementalSegmenter(IncrementalSegmenter&&) noexcept = default;
IncrementalSegmenter& IncrementalSegmenter::operator=(IncrementalSegmenter&&) noexcept = default;

std::vector<std::string> IncrementalSegmenter::feed(std::string_view fragment) {
  if (fragment.empty()) return {};
  std::string chunk = std::exchange(incomplete_, {});
  chunk += fragment;
  const std::size_t tail = utf8_incomplete_tail(chunk);
  incomplete_.assign(chunk, chunk.size() - tail, tail);
  chunk.resize(chunk.size() - tail);

  const std::size_t size_before = buffer_.size();
  append_normalized(chunk);
  // White space alone changes no decision: it only matters once the next word arrives.
  if (buffer_.size() == size_before) return {};
  // Nor does more text after a boundary that waits for a letter, until one comes: text such as
  // "Done. 1, 2, 3, ..." then costs each fragment its own length, not the whole list again.
  if (unsettled_boundary_ != kNpos && !contains_settling(size_before)) return {};
  return advance(false);
}

std::vector<std::string> IncrementalSegmenter::on_quiet() {
  const std::string_view text = pending();
  if (text.empty() || count_code_points(text) < options_.min_quiet_flush_chars) return {};

  // The last word is complete if white space followed it or it is punctuation or a CJK character
  // (each of which is a word); a letter may still be followed by more of its word.
  const std::string_view buffer = buffer_;
  const char32_t last = decode_at(text, previous_start(text, text.size())).value;
  const bool word_complete = space_pending_ || !detail::is_word_char(last) ||
                             (detail::is_word_per_char(last) && incomplete_.empty());
  std::size_t cut = text.size();
  if (!word_complete) {
    const std::size_t space = text.rfind(' ');
    if (space != kNpos) cut = space;
  }

  std::vector<std::string> out;
  // Cut at the segment cap like any other piece (a long run without spaces would otherwise
  // leave whole: found by tests/fuzz/fuzz_segmenter).
  const std::string_view flushed = detail::trim(text.substr(0, cut));
  if (!flushed.empty()) {
    std::vector<std::string_view> parts;
    detail::append_capped(flushed, cap_, parts);
    for (const std::string_view part : parts) emit(part, out);
  }
  const auto text_begin = static_cast<std::size_t>(text.data() - buffer.data());
  piece_begin_ = emitted_ = text_begin + cut;
  compact();
  return out;
}

std::vector<std::string> IncrementalSegmenter::settle_with(char32_t next, bool space_before) {
  if (pending().empty() || !incomplete_.empty() || !settles_boundary(next)) return {};
  // Append the letter (and the pending space before it), end the sentences it settles, then
  // take them back: they lie at the end of the buffer. Only sentence ends are decided here: a
  // long sentence's cut or an early first fragment depends on more than the next letter.
  std::string peek;
  if (space_pending_ || space_before) peek.push_back(' ');
  append_utf8(peek, next);
  const std::size_t size = buffer_.size();
  buffer_ += peek;
  std::vector<std::string> out;
  for (Scan found = scan(false); found.sentence_end != kNpos; found = scan(false))
    finish_sentence(found.sentence_end, out);
  buffer_.resize(size);
  if (out.empty()) return out;
  context_begin_ = std::min(context_begin_, size);
  scan_begin_ = std::min(scan_begin_, size);
  piece_begin_ = std::min(piece_begin_, size);
  emitted_ = std::min(emitted_, size);
  unsettled_boundary_ = kNpos;  // the next feed scans again
  compact();
  return out;
}

std::vector<std::string> IncrementalSegmenter::flush() {
  const std::string rest = std::exchange(incomplete_, {});
  if (!rest.empty()) append_normalized(rest);
  std::vector<std::string> out = advance(true);
  reset();
  return out;
}

void IncrementalSegmenter::reset() {
  buffer_.clear();
  context_begin_ = piece_begin_ = emitted_ = scan_begin_ = 0;
  unsettled_boundary_ = kNpos;
  incomplete_.clear();
  space_pending_ = false;
  any_text_ = false;
  first_piece_pending_ = true;
}

std::size_t IncrementalSegmenter::pending_chars() const {
  return count_code_points(pending());
}

std::string_view IncrementalSegmenter::pending() const {
  return detail::trim(std::string_view(buffer_).substr(emitted_));
}

// normalize() stays the one definition of clean-up. Run on the chunk between two letters, it also
// shows whether the chunk begins or ends with white space, which it would otherwise trim away.
void IncrementalSegmenter::append_normalized(std::string_view chunk) {
  std::string framed;
  framed.reserve(chunk.size() + 2);
  framed.push_back('x');
  framed.append(chunk);
  framed.push_back('x');
  const std::string normalized = normalize(framed);
  std::string_view middle = std::string_view(normalized).substr(1, normalized.size() - 2);

  const bool leading_space = !middle.empty() && middle.front() == ' ';
  if (leading_space) middle.remove_prefix(1);
  bool trailing_space = false;
  if (!middle.empty() && middle.back() == ' ') {
    middle.remove_suffix(1);
    trailing_space = true;
  }
  if (middle.empty()) {
    space_pending_ = space_pending_ || leading_space;
    return;
  }

  if (buffer_.size() + middle.size() + 1 > kMaxPendingBytes) {
    throw Error(ErrorCode::kTooLarge, "text is too large to segment");
  }
  if ((space_pending_ || leading_space) && any_text_) buffer_.push_back(' ');
  buffer_.append(middle);
  any_text_ = true;
  space_pending_ = trailing_space;
}

std::vector<std::string> IncrementalSegmenter::advance(bool at_end) {
  std::vector<std::string> out;
  while (true) {
    const Scan found = scan(at_end);
    if (found.sentence_end != kNpos) {
      finish_sentence(found.sentence_end, out);
      continue;
    }
    move_scan_start(found.open_boundary);
    while (cut_long_piece(found.open_boundary, out)) {
    }
    if (first_piece_pending_) cut_first_fragment(found.open_boundary, out);
    unsettled_boundary_ = found.open_boundary < buffer_.size() ? found.open_boundary : kNpos;
    break;
  }
  compact();
  return out;
}

IncrementalSegmenter::Scan IncrementalSegmenter::scan(bool at_end) {
  const std::string_view buffer = buffer_;
  breaker_->set_text(buffer.substr(scan_begin_));
  for (std::size_t next = breaker_->next(); next != detail::SentenceBreaker::kDone;
       next = breaker_->next()) {
    const std::size_t boundary = scan_begin_ + next;
    // At the end of input nothing can change any more, and the end of the text ends a sentence.
    if (!at_end && !is_settled(boundary)) return {kNpos, boundary};
    if (boundary < buffer.size() &&
        breaker_->is_abbreviation_stop(buffer.substr(context_begin_, boundary - context_begin_))) {
      continue;
    }
    return {boundary, boundary};
  }
  return {kNpos, buffer.size()};
}

bool IncrementalSegmenter::is_settled(std::size_t boundary) const {
  return boundary < buffer_.size() && contains_settling(boundary);
}

bool IncrementalSegmenter::contains_settling(std::size_t from) const {
  const std::string_view buffer = buffer_;
  for (std::size_t pos = from; pos < buffer.size();) {
    const auto [value, length] = decode_at(buffer, pos);
    if (settles_boundary(value)) return true;
    pos += length;
  }
  return false;
}

// Every boundary before `open_boundary` is settled and is not a sentence end, so ICU can start
// again just before it, at the last place it can restart at, and the next scan only reads the
// tail of the text.
void IncrementalSegmenter::move_scan_start(std::size_t open_boundary) {
  const std::string_view buffer = buffer_;
  for (std::size_t pos = open_boundary; pos > scan_begin_;) {
    pos = previous_start(buffer, pos);
    if (pos <= scan_begin_) break;
    if (can_restart_at(buffer, pos) || open_boundary - pos > kMaxLookBack) {
      scan_begin_ = pos;
      break;
    }
  }
}

void IncrementalSegmenter::finish_sentence(std::size_t end, std::vector<std::string>& out) {
  const std::string_view buffer = buffer_;
  std::vector<std::string_view> pieces;
  if (piece_begin_ < end) {
    const std::string_view sentence = detail::trim(buffer.substr(piece_begin_, end - piece_begin_));
    if (!sentence.empty()) detail::append_capped(sentence, cap_, pieces);
  }
  if (first_piece_pending_) {
    detail::split_first_fragment(pieces, options_.segmenter.first_fragment_min_words);
  }
  emit_new(pieces, out);
  // A boundary is a safe place for ICU to start again, like the start of the text.
  context_begin_ = scan_begin_ = end;
  piece_begin_ = emitted_ = std::max(end, emitted_);
}

// Once more than cap_ code points of the sentence are known, split_segments' first cut is known:
// it depends only on the first cap + 1 code points, and the sentence cannot end earlier than
// `open_boundary`.
bool IncrementalSegmenter::cut_long_piece(std::size_t open_boundary,
                                          std::vector<std::string>& out) {
  if (piece_begin_ >= open_boundary) return false;
  const std::string_view buffer = buffer_;
  const std::string_view known =
      detail::trim(buffer.substr(piece_begin_, open_boundary - piece_begin_));
  // No piece has more code points than bytes.
  if (known.size() <= cap_) return false;
  const std::size_t cut = detail::cap_cut(known, cap_);
  if (cut == 0) return false;

  std::vector<std::string_view> pieces{detail::trim_right(known.substr(0, cut))};
  if (first_piece_pending_) {
    detail::split_first_fragment(pieces, options_.segmenter.first_fragment_min_words);
  }
  emit_new(pieces, out);
  const std::size_t cut_at = static_cast<std::size_t>(known.data() - buffer.data()) + cut;
  piece_begin_ = cut_at;
  emitted_ = std::max(emitted_, cut_at);
  return true;
}

// split_segments cuts the first piece at its first clause after enough words if a word follows in
// that piece. The known text up to `open_boundary` is a prefix of the sentence, so a cut found in
// it is the one split_segments makes, provided the first piece reaches the word after the cut.
// It does if the sentence fits the cap (the piece is the sentence), and if it does not, the cap
// cuts at the last clause mark within the cap: never before this one, and after the next word
// unless a clause mark stands between them, which is why that case waits.
void IncrementalSegmenter::cut_first_fragment(std::size_t open_boundary,
                                              std::vector<std::string>& out) {
  const std::size_t min_words = options_.segmenter.first_fragment_min_words;
  if (min_words == 0 || piece_begin_ >= open_boundary) return;
  const std::string_view buffer = buffer_;
  const std::string_view known =
      detail::trim(buffer.substr(piece_begin_, open_boundary - piece_begin_));
  const std::size_t cut = detail::find_first_fragment_cut(known, min_words);
  if (cut == 0) return;
  for (std::size_t pos = cut; pos < known.size();) {
    const auto [value, length] = decode_at(known, pos);
    if (detail::is_word_char(value)) break;
    if (detail::is_clause_mark(value)) return;
    pos += length;
  }
  emit(detail::trim_right(known.substr(0, cut)), out);
  emitted_ = static_cast<std::size_t>(known.data() - buffer.data()) + cut;
}

void IncrementalSegmenter::emit(std::string_view segment, std::vector<std::string>& out) {
  if (segment.empty()) return;
  out.emplace_back(segment);
  first_piece_pending_ = false;
}

// An early first fragment or a quiet-period flush may have returned the start of these already.
void IncrementalSegmenter::emit_new(const std::vector<std::string_view>& pieces,
                                    std::vector<std::string>& out) {
  const std::string_view buffer = buffer_;
  for (const std::string_view piece : pieces) {
    const auto begin = static_cast<std::size_t>(piece.data() - buffer.data());
    const std::size_t end = begin + piece.size();
    if (end <= emitted_) continue;
    const std::size_t from = std::max(begin, emitted_);
    emit(detail::trim(buffer.substr(from, end - from)), out);
  }
}

// Drops text that is neither pending nor needed as context: ICU starts at scan_begin_, and an
// abbreviation check only reads the last longest_abbreviation() bytes of a sentence, provided the
// kept text does not start inside a run of opening quotes or brackets glued to a word (see
// SentenceBreaker::is_abbreviation_stop). Copies happen once the droppable part is at least half
// of the buffer, so each byte is copied a bounded number of times.
void IncrementalSegmenter::compact() {
  const std::string_view buffer = buffer_;
  const std::size_t longest = breaker_->longest_abbreviation();
  if (!buffer.empty() && scan_begin_ > longest) {
    std::size_t keep = std::min({piece_begin_, scan_begin_ - longest - 1, buffer.size() - 1});
    if (keep > context_begin_) keep = code_point_start(buffer, keep);
    const auto is_valid_start = [&](std::size_t pos) {
      if (buffer[pos - 1] == ' ') return true;
      const char32_t c = decode_at(buffer, pos).value;
      return !detail::is_space(c) && !detail::is_opener(c);
    };
    const std::size_t limit = keep;
    while (keep > context_begin_ && !is_valid_start(keep)) {
      keep = previous_start(buffer, keep);
      // A run of openers this long keeps its context; it only costs memory.
      if (limit - keep > kMaxLookBack) keep = context_begin_;
    }
    context_begin_ = std::max(context_begin_, keep);
  }

  if (context_begin_ < kMinCompaction || context_begin_ < buffer.size() / 2) return;
  const std::size_t dropped = context_begin_;
  buffer_.erase(0, dropped);
  context_begin_ -= dropped;
  piece_begin_ -= dropped;
  emitted_ -= dropped;
  scan_begin_ -= dropped;
  if (unsettled_boundary_ != kNpos) unsettled_boundary_ -= dropped;
}

}  // namespace lector::text
