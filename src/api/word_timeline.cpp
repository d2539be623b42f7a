#include "api/word_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lector::api {
namespace {

// The byte offset of every code point of UTF-8 `s`, and then of its end: a span's bytes.
std::vector<std::size_t> code_point_bytes(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(s.size());
  return out;
}

}  // namespace

WordTimeline::WordTimeline(std::string_view source, std::vector<text::MappedText> segments)
    : source_(source), byte_of_(code_point_bytes(source)), segments_(std::move(segments)) {}

std::vector<TimedWord> WordTimeline::add(const std::vector<AudioBody::Timing>& timings) {
  std::vector<TimedWord> started;
  // Words of `segment` still open end at `seconds`.
  const auto close = [this](std::size_t segment, double seconds) {
    for (std::size_t i = open_; i < words_.size(); ++i)
      if (words_[i].end_seconds < 0.0 && words_[i].segment == segment)
        words_[i].end_seconds = seconds;
    while (open_ < words_.size() && words_[open_].end_seconds >= 0.0) ++open_;
  };
  for (const AudioBody::Timing& t : timings) {
    if (t.segment >= segments_.size()) continue;
    if (t.kind == AudioBody::Timing::Kind::kSegmentEnd) {
      close(t.segment, t.seconds);
      continue;
    }
    const text::MappedText& seg = segments_[t.segment];
    if (t.text_length == 0 || t.text_offset + t.text_length > seg.spans.size()) continue;
    const text::SourceSpan span = text::source_of(seg, t.text_offset, t.text_length);
    if (span.end <= span.start || span.end >= byte_of_.size()) continue;
    // The same written word again (its spoken words after the first): already started.
    if (!words_.empty() && words_.back().segment == t.segment &&
        words_.back().start == span.start && words_.back().end == span.end)
      continue;
    close(t.segment, t.seconds);
    TimedWord w;
    w.word = source_.substr(byte_of_[span.start], byte_of_[span.end] - byte_of_[span.start]);
    w.start = span.start;
    w.end = span.end;
    w.start_seconds = t.seconds;
    w.segment = t.segment;
    words_.push_back(w);
    started.push_back(std::move(w));
  }
  return started;
}

std::string vtt_time(double seconds) {
  const auto ms = static_cast<long long>(std::llround(std::max(seconds, 0.0) * 1000.0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60,
                ms / 1000 % 60, ms % 1000);
  return buf;
}

std::string webvtt(const std::vector<TimedWord>& words) {
  std::string out = "WEBVTT\n";
  for (const TimedWord& w : words) {
    // A word whose end is unknown (its segment's end never came) lasts to itself plus a bit.
    const double end = w.end_seconds > w.start_seconds ? w.end_seconds : w.start_seconds + 0.5;
    out += "\n" + vtt_time(w.start_seconds) + " --> " + vtt_time(end) + "\n";
    // A cue's text may not hold a blank line or "-->"; a word never does once spaces are kept
    // as they are and line breaks become spaces.
    std::string text = w.word;
    for (char& c : text)
      if (c == '\n' || c == '\r') c = ' ';
    std::size_t at;
    while ((at = text.find("-->")) != std::string::npos) text.replace(at, 3, "->");
    out += text + "\n";
  }
  return out;
}

}  // namespace lector::api
