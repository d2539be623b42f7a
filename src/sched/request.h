#pragma once
// One request's segments and the rules that turn out-of-order synthesis into in-order audio:
// which segment may run next (the head first, then a bounded look-ahead), where finished
// audio waits, what a retry must skip, where segment and word marks land in the stream.
//
// Pure logic: no processes, no sockets, no clock. The scheduler's loop thread owns every
// Request; unit tests drive one directly with an AudioStream as the sink.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"
#include "core/usage.h"
#include "sched/audio_stream.h"
#include "sched/cache.h"
#include "worker/protocol.h"

namespace lector::sched {

struct SynthesisRequest {
  std::string engine;
  std::string voice;
  SynthParams params;
  std::vector<std::string> segments;  // non-empty unless the request is open
  // An open request takes more segments with append() until close(); its text is still
  // being written (a streamed upload, an LLM).
  bool open = false;
  // Charged with the audio seconds the consumer takes (RequestHandle::take); may be null.
  std::shared_ptr<UsageMeter> usage;
};

class Request {
 public:
  enum class SegmentState { kPending, kRunning, kDone };

  struct Limits {
    std::size_t lookahead = 4;                   // segments ahead of the head
    std::size_t max_buffered_bytes = 256 << 10;  // unread audio before synthesis pauses
    bool cache = false;  // segments must be looked up in the cache before they run
    // A first guess of a segment's audio per byte of its text, until a segment of the request
    // has finished and shown the real figure. 0: running look-ahead is not counted in the
    // bound, only the audio it has produced so far.
    std::size_t bytes_per_text_byte = 0;
  };

  Request(std::uint64_t id, SynthesisRequest spec, std::shared_ptr<AudioSink> sink, Limits limits);

  std::uint64_t id() const { return id_; }
  const SynthesisRequest& spec() const { return spec_; }
  bool open() const { return spec_.open; }
  AudioSink& sink() { return *sink_; }
  std::size_t size() const { return segments_.size(); }
  std::size_t head() const { return head_; }
  const std::string& text(std::size_t index) const { return segments_[index].text; }
  SegmentState state(std::size_t index) const { return segments_[index].state; }
  std::size_t running() const { return running_; }
  std::size_t pending() const;

  // More text for an open request; close() says no more will come. Both may complete it.
  void append(std::vector<std::string> texts);
  void close();

  // Segments in the look-ahead window not yet looked up in the cache, stopping at the buffer
  // bound. The caller looks each up and reports it with cache_checked().
  std::vector<std::size_t> cache_candidates();
  // A lookup's answer: `hit` is the cached segment (its words are reported as a synthesis'
  // would be), or nullptr.
  void cache_checked(std::size_t index, std::shared_ptr<const CachedSegment> hit);

  // The segment a worker should synthesize next, if any: the head (head_only) or a segment in
  // the look-ahead window. Look-ahead waits until the head has produced audio, so a parallel
  // synthesis does not compete with the one the listener waits for. Nothing runs while the
  // unread audio is over the bound (the sink is marked throttled) or before its cache lookup.
  std::optional<std::size_t> next_to_run(bool head_only);
  void started(std::size_t index);
  // No audio has reached the stream yet: the listener hears nothing so far.
  bool awaiting_first_audio() const {
    return head_ == 0 && !segments_.empty() && segments_[0].delivered == 0;
  }

  // A worker's output for a running segment.
  void on_audio(std::size_t index, std::string_view pcm);
  void on_word(std::size_t index, const worker::WordMark& mark);
  // The segment finished; returns its whole output (audio and word marks) when the cache
  // should keep it.
  CachedSegment on_done(std::size_t index);
  // The worker running it died. Returns false when the segment had already failed once (the
  // request should fail); else it is pending again and its retry skips what was delivered.
  // A segment not `blamed` (its worker was killed for another job) never uses up its retry.
  bool on_lost(std::size_t index, bool blamed = true);
  // A worker stopped running the segment without finishing it (cancelled).
  void on_abandoned(std::size_t index);

  // Every segment delivered and no more text will come.
  bool complete() const { return !spec_.open && head_ == segments_.size(); }
  bool cancelled() const { return cancelled_; }
  void set_cancelled() { cancelled_ = true; }

  // Audio held for the client: in the stream and in segments waiting behind the head.
  std::size_t held_bytes() const;

 private:
  struct Segment {
    std::string text;
    SegmentState state = SegmentState::kPending;
    int attempts = 0;                             // worker deaths while running it
    std::string pcm;                              // audio held until the segment reaches the head
    std::shared_ptr<const CachedSegment> cached;  // or the cache's copy of it, shared
    std::size_t delivered = 0;                    // bytes already streamed to the client
    std::size_t skip = 0;  // bytes of a retry's output the client already has
    bool cache_checked = false;
    std::size_t stream_offset = SIZE_MAX;  // where its audio starts in the stream, once known
    std::vector<worker::WordMark> words;   // word marks waiting for stream_offset
    std::size_t words_seen = 0;            // word marks received in this attempt
    std::size_t words_sent = 0;            // word marks handed to the stream (across retries)
    std::size_t produced = 0;              // audio bytes received in this attempt
    CachedSegment full;                    // this attempt's whole output, for the cache
  };

  void advance();
  void mark_starts();
  void send_word(std::size_t index, const worker::WordMark& mark);
  std::size_t window_end(std::size_t window) const;
  // Whether the request holds too much unread audio to start more synthesis. For the head,
  // only the audio the client can read counts: look-ahead audio waiting behind a head that
  // must be retried would otherwise block that retry for ever. For look-ahead, the audio the
  // running look-ahead segments are still expected to produce counts too, so a client that
  // stops reading is held to the bound plus one segment, not plus the whole window.
  bool over_bound(bool head = false);
  // Audio the running look-ahead segments have yet to produce, estimated from their text.
  std::size_t expected_bytes() const;

  const std::uint64_t id_;
  SynthesisRequest spec_;
  std::shared_ptr<AudioSink> sink_;
  const Limits limits_;
  std::vector<Segment> segments_;
  std::size_t head_ = 0;     // next segment to deliver
  std::size_t started_ = 0;  // segments whose start mark was sent
  std::size_t running_ = 0;
  bool cancelled_ = false;
  std::size_t done_text_bytes_ = 0;   // text of the segments synthesized to the end
  std::size_t done_audio_bytes_ = 0;  // and the audio they produced
};

}  // namespace lector::sched
