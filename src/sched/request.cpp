#include "sched/request.h"

#include <algorithm>

namespace lector::sched {

Request::Request(std::uint64_t id, SynthesisRequest spec, std::shared_ptr<AudioSink> sink,
                 Limits limits)
    : id_(id), spec_(std::move(spec)), sink_(std::move(sink)), limits_(limits) {
  std::vector<std::string> texts = std::move(spec_.segments);
  spec_.segments.clear();
  append(std::move(texts));
}

std::size_t Request::pending() const {
  if (cancelled_) return 0;
  return static_cast<std::size_t>(
      std::count_if(segments_.begin(), segments_.end(),
                    [](const Segment& s) { return s.state == SegmentState::kPending; }));
}

void Request::append(std::vector<std::string> texts) {
  segments_.reserve(segments_.size() + texts.size());
  for (std::string& t : texts) segments_.emplace_back().text = std::move(t);
  mark_starts();
}

void Request::close() {
  if (!spec_.open) return;
  spec_.open = false;
  advance();  // everything may already be delivered
}

std::size_t Request::window_end(std::size_t window) const {
  return std::min(segments_.size(), head_ + window);
}

bool Request::over_bound(bool head) {
  const std::size_t held = head ? sink_->buffered_bytes() : held_bytes() + expected_bytes();
  if (held <= limits_.max_buffered_bytes) return false;
  sink_->mark_throttled();
  return true;
}

std::size_t Request::expected_bytes() const {
  if (limits_.bytes_per_text_byte == 0) return 0;
  std::size_t n = 0;
  // Look-ahead starts only inside the window, and the window only moves on.
  for (std::size_t i = head_ + 1; i < window_end(1 + limits_.lookahead); ++i) {
    const Segment& seg = segments_[i];
    if (seg.state != SegmentState::kRunning) continue;
    const std::size_t expected = done_text_bytes_ > 0
                                     ? seg.text.size() * done_audio_bytes_ / done_text_bytes_
                                     : seg.text.size() * limits_.bytes_per_text_byte;
    n += expected > seg.produced ? expected - seg.produced : 0;
  }
  return n;
}

std::vector<std::size_t> Request::cache_candidates() {
  std::vector<std::size_t> out;
  if (!limits_.cache || cancelled_) return out;
  const std::size_t last = window_end(1 + limits_.lookahead);
  for (std::size_t i = head_; i < last; ++i) {
    const Segment& seg = segments_[i];
    if (seg.state != SegmentState::kPending || seg.cache_checked) continue;
    if (over_bound()) break;
    out.push_back(i);
  }
  return out;
}

void Request::cache_checked(std::size_t index, std::shared_ptr<const CachedSegment> hit) {
  Segment& seg = segments_[index];
  seg.cache_checked = true;
  if (!hit || seg.state != SegmentState::kPending) return;
  seg.state = SegmentState::kDone;
  seg.cached = std::move(hit);
  if (index == head_) advance();
}

std::optional<std::size_t> Request::next_to_run(bool head_only) {
  if (cancelled_ || head_ >= segments_.size()) return std::nullopt;
  const Segment& head = segments_[head_];
  if (!head_only && head.state == SegmentState::kRunning && head.delivered == 0 && head.pcm.empty())
    return std::nullopt;
  const std::size_t last = window_end(head_only ? 1 : 1 + limits_.lookahead);
  for (std::size_t i = head_; i < last; ++i) {
    if (segments_[i].state != SegmentState::kPending) continue;
    if (over_bound(i == head_)) return std::nullopt;
    // The client may have read (and lowered held_bytes) since the cache lookups stopped at the
    // bound; a segment not looked up yet waits for the next pass, which the read wakes, so
    // cached audio is never synthesized again.
    if (limits_.cache && !segments_[i].cache_checked) {
      sink_->mark_throttled();
      return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

void Request::started(std::size_t index) {
  segments_[index].state = SegmentState::kRunning;
  ++running_;
}

void Request::on_audio(std::size_t index, std::string_view pcm) {
  Segment& seg = segments_[index];
  seg.produced += pcm.size();
  if (limits_.cache) seg.full.pcm.append(pcm);
  if (seg.skip > 0) {
    const std::size_t n = std::min(seg.skip, pcm.size());
    seg.skip -= n;
    pcm.remove_prefix(n);
    if (pcm.empty()) return;
  }
  if (index == head_) {
    sink_->push(pcm);
    seg.delivered += pcm.size();
  } else {
    seg.pcm.append(pcm);
  }
}

void Request::on_word(std::size_t index, const worker::WordMark& mark) {
  Segment& seg = segments_[index];
  if (limits_.cache) seg.full.words.push_back(mark);
  // A retried segment reports its words again; the client already has the first ones.
  if (++seg.words_seen <= seg.words_sent) return;
  if (seg.stream_offset == SIZE_MAX)
    seg.words.push_back(mark);
  else
    send_word(index, mark);
}

void Request::send_word(std::size_t index, const worker::WordMark& mark) {
  Segment& seg = segments_[index];
  ++seg.words_sent;
  sink_->mark_at(AudioMark{AudioMark::Kind::kWord, index,
                           seg.stream_offset + 2 * static_cast<std::size_t>(mark.sample_offset),
                           mark.text_offset, mark.text_length});
}

CachedSegment Request::on_done(std::size_t index) {
  Segment& seg = segments_[index];
  --running_;
  seg.state = SegmentState::kDone;
  done_text_bytes_ += seg.text.size();
  done_audio_bytes_ += seg.produced;
  CachedSegment full = std::move(seg.full);
  seg.full = CachedSegment();
  if (index == head_) advance();
  return full;
}

bool Request::on_lost(std::size_t index, bool blamed) {
  Segment& seg = segments_[index];
  --running_;
  if (blamed && ++seg.attempts >= 2) return false;
  // Whatever the client already heard of this segment is skipped in the retry's output, so
  // nothing plays twice.
  seg.state = SegmentState::kPending;
  seg.pcm.clear();
  seg.full = CachedSegment();
  seg.skip = seg.delivered;
  seg.produced = 0;
  seg.words_seen = 0;
  seg.words.clear();
  return true;
}

void Request::on_abandoned(std::size_t index) {
  --running_;
  segments_[index].state = SegmentState::kPending;
}

void Request::mark_starts() {
  while (started_ < segments_.size() && started_ <= head_) {
    const std::size_t i = started_++;
    Segment& seg = segments_[i];
    sink_->mark(AudioMark::Kind::kSegmentStart, i);
    seg.stream_offset = sink_->pushed_bytes();
    for (const worker::WordMark& m : seg.words) send_word(i, m);
    seg.words.clear();
  }
}

void Request::advance() {
  for (;;) {
    if (head_ == segments_.size()) {
      if (!spec_.open) sink_->finish();
      return;
    }
    Segment& seg = segments_[head_];
    if (seg.state == SegmentState::kDone) {
      if (seg.cached)
        for (const worker::WordMark& m : seg.cached->words) send_word(head_, m);
      sink_->push(seg.cached ? seg.cached->pcm : seg.pcm);
      seg.pcm = std::string();
      seg.cached.reset();
      sink_->mark(AudioMark::Kind::kSegmentEnd, head_);
      ++head_;
      mark_starts();
      continue;
    }
    if (seg.state == SegmentState::kRunning && !seg.pcm.empty()) {
      // This segment streams live from now on; first hand over what it produced so far.
      seg.delivered += seg.pcm.size();
      sink_->push(seg.pcm);
      seg.pcm = std::string();
    }
    return;
  }
}

std::size_t Request::held_bytes() const {
  std::size_t n = sink_->buffered_bytes();
  for (std::size_t i = head_; i < segments_.size(); ++i)
    n += segments_[i].pcm.size() + (segments_[i].cached ? segments_[i].cached->pcm.size() : 0);
  return n;
}

}  // namespace lector::sched
