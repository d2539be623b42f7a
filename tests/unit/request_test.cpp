// sched::Request driven directly, with a real AudioStream as its sink: the in-order rules
// without processes, sockets or a clock.
#include "sched/request.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sched/audio_stream.h"

namespace lector::sched {
namespace {

using Kind = AudioMark::Kind;
using State = AudioSource::State;

SynthesisRequest spec_of(std::vector<std::string> segments, bool open = false) {
  SynthesisRequest spec;
  spec.engine = "fake";
  spec.voice = "v";
  spec.segments = std::move(segments);
  spec.open = open;
  return spec;
}

// A request and the stream it writes to; `resumes` counts the stream's resume callbacks.
struct Fixture {
  explicit Fixture(std::vector<std::string> segments, Request::Limits limits = {},
                   bool open = false)
      : stream(std::make_shared<AudioStream>(1, 16000, [this] { ++resumes; })),
        request(1, spec_of(std::move(segments), open), stream, limits) {}

  // Everything the stream holds now.
  State drain() {
    const State s = stream->take(audio, &marks);
    last = s;
    return s;
  }
  // Starts segment `i` (which must be what next_to_run offers).
  void start(std::size_t i, bool head_only = false) {
    const std::optional<std::size_t> next = request.next_to_run(head_only);
    ASSERT_TRUE(next.has_value());
    ASSERT_EQ(*next, i);
    request.started(i);
  }

  int resumes = 0;
  std::shared_ptr<AudioStream> stream;
  Request request;
  std::string audio;
  std::vector<AudioMark> marks;
  State last = State::kPending;
};

std::vector<std::pair<Kind, std::size_t>> segment_marks(const std::vector<AudioMark>& marks) {
  std::vector<std::pair<Kind, std::size_t>> out;
  for (const AudioMark& m : marks)
    if (m.kind != Kind::kWord) out.emplace_back(m.kind, m.segment);
  return out;
}

// The offset of the first mark of `kind` for `segment`, or SIZE_MAX.
std::size_t offset_of(const std::vector<AudioMark>& marks, Kind kind, std::size_t segment) {
  for (const AudioMark& m : marks)
    if (m.kind == kind && m.segment == segment) return m.offset;
  return SIZE_MAX;
}

TEST(Request, SegmentsFinishedOutOfOrderComeOutInOrder) {
  Fixture f({"a", "b", "c"});
  f.start(0);
  f.request.on_audio(0, "A1");  // the head's first audio opens the look-ahead
  f.start(1);
  f.start(2);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  EXPECT_EQ(f.request.running(), 3u);

  f.request.on_audio(2, "C1C2");
  f.request.on_done(2);
  f.request.on_audio(1, "B1");
  EXPECT_EQ(f.drain(), State::kData);
  EXPECT_EQ(f.audio, "A1") << "only the head reaches the stream";

  f.request.on_audio(1, "B2");
  f.request.on_audio(0, "A2");
  f.request.on_done(1);
  EXPECT_EQ(f.request.head(), 0u);
  f.drain();
  EXPECT_EQ(f.audio, "A1A2");

  f.request.on_done(0);  // releases 1 and 2, which were waiting
  EXPECT_TRUE(f.request.complete());
  EXPECT_EQ(f.drain(), State::kData);
  EXPECT_EQ(f.audio, "A1A2B1B2C1C2");
  EXPECT_EQ(f.drain(), State::kEnd);

  using P = std::pair<Kind, std::size_t>;
  EXPECT_EQ(segment_marks(f.marks), (std::vector<P>{{Kind::kSegmentStart, 0},
                                                    {Kind::kSegmentEnd, 0},
                                                    {Kind::kSegmentStart, 1},
                                                    {Kind::kSegmentEnd, 1},
                                                    {Kind::kSegmentStart, 2},
                                                    {Kind::kSegmentEnd, 2}}));
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 0), 0u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentEnd, 0), 4u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 1), 4u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentEnd, 1), 8u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 2), 8u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentEnd, 2), 12u);
}

TEST(Request, ASegmentReachingTheHeadWhileRunningStreamsLiveFromThen) {
  Fixture f({"a", "b"});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.start(1);
  f.request.on_audio(1, "B1");  // held: 0 is still the head
  f.request.on_done(0);         // 1 becomes the head and hands over what it has
  f.drain();
  EXPECT_EQ(f.audio, "A1B1");
  f.request.on_audio(1, "B2");  // now live
  f.drain();
  EXPECT_EQ(f.audio, "A1B1B2");
  EXPECT_FALSE(f.request.complete());
  f.request.on_done(1);
  EXPECT_EQ(f.drain(), State::kData);  // the end mark of segment 1
  EXPECT_EQ(f.drain(), State::kEnd);
  EXPECT_EQ(f.audio, "A1B1B2");
}

TEST(Request, WordMarksLandAtTheirSegmentsOffsetInTheStream) {
  Fixture f({"a", "b"});
  f.start(0);
  f.request.on_word(0, worker::WordMark{7, 0, 3, 0});
  f.request.on_audio(0, std::string(8, 'a'));  // 4 samples
  f.start(1);
  // Segment 1's words arrive before anyone knows where it will start in the stream.
  f.request.on_word(1, worker::WordMark{8, 0, 2, 0});
  f.request.on_word(1, worker::WordMark{8, 3, 4, 5});
  f.request.on_audio(1, std::string(20, 'b'));  // 10 samples
  f.request.on_word(0, worker::WordMark{7, 4, 5, 2});
  f.request.on_audio(0, std::string(4, 'a'));  // 2 more samples: segment 0 is 12 bytes
  f.request.on_done(1);
  f.request.on_done(0);
  f.drain();
  ASSERT_EQ(f.drain(), State::kEnd);
  ASSERT_EQ(f.audio.size(), 32u);

  std::vector<AudioMark> words;
  for (const AudioMark& m : f.marks)
    if (m.kind == Kind::kWord) words.push_back(m);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words[0].segment, 0u);
  EXPECT_EQ(words[0].offset, 0u);
  EXPECT_EQ(words[1].segment, 0u);
  EXPECT_EQ(words[1].offset, 4u);  // sample 2 of segment 0
  EXPECT_EQ(words[1].text_offset, 4u);
  EXPECT_EQ(words[1].text_length, 5u);
  EXPECT_EQ(words[2].segment, 1u);
  EXPECT_EQ(words[2].offset, 12u);  // segment 1 starts after segment 0's 12 bytes
  EXPECT_EQ(words[3].segment, 1u);
  EXPECT_EQ(words[3].offset, 12u + 10u);  // sample 5 of segment 1
  EXPECT_EQ(words[3].text_offset, 3u);
  // Every mark comes out in stream order.
  for (std::size_t i = 1; i < f.marks.size(); ++i)
    EXPECT_LE(f.marks[i - 1].offset, f.marks[i].offset) << "mark " << i;
}

TEST(Request, ALostHeadRetriesAndSkipsWhatTheClientAlreadyHas) {
  Fixture f({"a", "b"});
  f.start(0);
  f.request.on_word(0, worker::WordMark{1, 0, 1, 0});
  f.request.on_audio(0, "0123");
  f.drain();
  EXPECT_EQ(f.audio, "0123");

  ASSERT_TRUE(f.request.on_lost(0));
  EXPECT_EQ(f.request.running(), 0u);
  EXPECT_EQ(f.request.state(0), Request::SegmentState::kPending);
  f.start(0, /*head_only=*/true);
  // The retry produces the same audio again, in other chunks, and reports its words again.
  f.request.on_word(0, worker::WordMark{2, 0, 1, 0});
  f.request.on_audio(0, "01");
  f.request.on_audio(0, "2345");
  f.request.on_word(0, worker::WordMark{2, 2, 1, 3});
  f.request.on_audio(0, "67");
  f.request.on_done(0);
  f.drain();
  EXPECT_EQ(f.audio, "01234567") << "nothing plays twice, nothing is missing";

  std::vector<AudioMark> words;
  for (const AudioMark& m : f.marks)
    if (m.kind == Kind::kWord) words.push_back(m);
  ASSERT_EQ(words.size(), 2u) << "the retry's first word was already sent";
  EXPECT_EQ(words[0].offset, 0u);
  EXPECT_EQ(words[1].offset, 6u);
  EXPECT_EQ(words[1].text_offset, 2u);
}

TEST(Request, ALostSegmentBehindTheHeadDropsWhatItHeldAndStartsOver) {
  Fixture f({"a", "b"});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.start(1);
  f.request.on_audio(1, "b?");  // held, never streamed
  ASSERT_TRUE(f.request.on_lost(1));
  EXPECT_EQ(f.request.held_bytes(), 2u) << "only the head's streamed audio is held";
  f.start(1);
  f.request.on_audio(1, "B1B2");
  f.request.on_done(1);
  f.request.on_done(0);
  f.drain();
  EXPECT_EQ(f.audio, "A1B1B2");
}

TEST(Request, ASecondLossOfTheSameSegmentFails) {
  Fixture f({"a"});
  f.start(0);
  f.request.on_audio(0, "A1");
  ASSERT_TRUE(f.request.on_lost(0));
  f.start(0);
  EXPECT_FALSE(f.request.on_lost(0));
  EXPECT_EQ(f.request.running(), 0u);
}

TEST(Request, AnAbandonedSegmentRunsAgainInFull) {
  Fixture f({"a"});
  f.start(0);
  f.request.on_abandoned(0);
  EXPECT_EQ(f.request.running(), 0u);
  EXPECT_EQ(f.request.pending(), 1u);
  f.start(0);
}

TEST(Request, NextToRunStaysInsideTheLookAheadWindow) {
  Fixture f({"0", "1", "2", "3", "4", "5"}, Request::Limits{2, 1 << 20, false});
  EXPECT_EQ(f.request.next_to_run(true), 0u);
  f.start(0);
  EXPECT_FALSE(f.request.next_to_run(true).has_value()) << "the head already runs";
  f.request.on_audio(0, "xx");
  f.start(1);
  f.start(2);
  EXPECT_FALSE(f.request.next_to_run(false).has_value()) << "3 is outside head + 2";
  EXPECT_FALSE(f.request.next_to_run(true).has_value());

  f.request.on_done(1);  // finishing behind the head does not move the window
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  f.request.on_done(0);  // the head moves to 2 (running): the window is 2..4
  EXPECT_EQ(f.request.head(), 2u);
  EXPECT_FALSE(f.request.next_to_run(true).has_value());
  EXPECT_EQ(f.request.next_to_run(false), std::nullopt)
      << "the new head has produced no audio yet, so no look-ahead";
  f.request.on_audio(2, "yy");
  f.start(3);
  f.start(4);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  EXPECT_EQ(f.request.pending(), 1u);
}

TEST(Request, LookAheadWaitsForTheHeadsFirstAudio) {
  Fixture f({"a", "b"});
  f.start(0);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  f.request.on_word(0, worker::WordMark{1, 0, 1, 0});
  EXPECT_FALSE(f.request.next_to_run(false).has_value()) << "a word mark is not audio";
  f.request.on_audio(0, "A1");
  EXPECT_EQ(f.request.next_to_run(false), 1u);
}

TEST(Request, OverTheBufferBoundNothingRunsUntilTheClientReads) {
  Fixture f({"a", "b", "c"}, Request::Limits{4, 8, false});
  f.start(0);
  f.request.on_audio(0, std::string(10, 'a'));
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  EXPECT_EQ(f.resumes, 0);

  std::string out;
  ASSERT_EQ(f.stream->take(out, nullptr, 4), State::kData);  // frees room: 6 left
  EXPECT_EQ(f.resumes, 1) << "a throttled stream wakes the scheduler when read";
  f.start(1);
  f.request.on_audio(1, std::string(10, 'b'));  // held behind the head: counts too
  EXPECT_EQ(f.request.held_bytes(), 16u);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  ASSERT_EQ(f.stream->take(out), State::kData);
  EXPECT_EQ(f.resumes, 2);
  EXPECT_FALSE(f.request.next_to_run(false).has_value()) << "10 bytes still wait behind the head";

  f.request.on_done(0);
  ASSERT_EQ(f.stream->take(out), State::kData);
  EXPECT_EQ(f.resumes, 3);
  EXPECT_EQ(f.request.next_to_run(false), 2u);
  // A take while not throttled does not call resume.
  f.request.started(2);
  f.request.on_audio(1, "b2");
  ASSERT_EQ(f.stream->take(out), State::kData);
  EXPECT_EQ(f.resumes, 3);
  EXPECT_EQ(out, std::string(10, 'a') + std::string(10, 'b') + "b2");
}

// Look-ahead segments still running count with the audio their text is expected to make, so a
// client that stops reading holds the bound plus one segment, not plus the whole window.
TEST(Request, RunningLookAheadCountsWithTheAudioItIsExpectedToMake) {
  // 10 bytes per text byte until a segment shows the real figure; a 4-byte text: 40 bytes.
  Fixture f({"aaaa", "bbbb", "cccc", "dddd", "eeee"}, Request::Limits{4, 60, false, 10});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.drain();
  f.start(1);  // nothing held or expected yet
  f.request.on_audio(1, std::string(10, 'b'));
  // Held 10 + expected 30 more from segment 1 = 40: under 60, one more may start ...
  f.start(2);
  // ... but now 10 + 30 + 40 = 80 is over it.
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  EXPECT_EQ(f.request.next_to_run(true), std::nullopt) << "the head is running";

  // Segment 1 ends after 12 bytes: 3 bytes of audio per text byte, so segment 2 is expected
  // to make 12, and 10 + 2 held + 12 = 24 leaves room.
  f.request.on_audio(1, "b2");
  f.request.on_done(1);
  EXPECT_EQ(f.request.next_to_run(false), 3u);
}

TEST(Request, WithoutAGuessRunningLookAheadCountsOnlyWhatItProduced) {
  Fixture f({"aaaa", "bbbb", "cccc", "dddd", "eeee"}, Request::Limits{4, 60, false, 0});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.drain();
  f.start(1);
  f.request.on_audio(1, std::string(10, 'b'));
  f.start(2);
  f.start(3);
  f.start(4);
}

// Regression: the buffer bound used to hold back the head too. A head that must be retried
// while finished look-ahead segments hold more than the bound never ran again: the client
// cannot read what waits behind the head, so nothing freed room, and the request hung.
TEST(Request, ARetriedHeadRunsEvenWhenLookAheadAudioIsOverTheBound) {
  Fixture f({"a", "b", "c"}, Request::Limits{4, 8, false});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.start(1);
  f.request.on_audio(1, std::string(10, 'b'));
  f.request.on_done(1);  // 10 bytes wait behind the head
  f.drain();             // the client has everything it can have
  ASSERT_TRUE(f.request.on_lost(0));
  EXPECT_EQ(f.request.next_to_run(true), 0u) << "only the head can unblock this request";
}

TEST(Request, CacheLookupsComeFirstAndHitsNeedNoWorker) {
  Fixture f({"a", "b", "c", "d"}, Request::Limits{1, 1 << 20, true});
  EXPECT_FALSE(f.request.next_to_run(true).has_value()) << "not looked up yet";
  EXPECT_EQ(f.request.cache_candidates(), (std::vector<std::size_t>{0, 1}));
  f.request.cache_checked(0, nullptr);
  f.request.cache_checked(1, std::make_shared<const CachedSegment>(CachedSegment{"HB", {}}));
  EXPECT_TRUE(f.request.cache_candidates().empty()) << "each segment is looked up once";
  EXPECT_EQ(f.request.state(1), Request::SegmentState::kDone);
  f.start(0);
  f.request.on_audio(0, "A1");
  EXPECT_FALSE(f.request.next_to_run(false).has_value()) << "1 is served from the cache";
  f.request.on_audio(0, "A2");
  EXPECT_EQ(f.request.on_done(0).pcm, "A1A2") << "the whole output goes to the cache";
  EXPECT_EQ(f.request.head(), 2u);
  EXPECT_EQ(f.request.cache_candidates(), (std::vector<std::size_t>{2, 3}));
  f.request.cache_checked(
      2, std::make_shared<const CachedSegment>(CachedSegment{"HC", {}}));  // the head: delivered
  f.request.cache_checked(3, std::make_shared<const CachedSegment>(CachedSegment{"HD", {}}));
  EXPECT_TRUE(f.request.complete());
  f.drain();
  EXPECT_EQ(f.drain(), State::kEnd);
  EXPECT_EQ(f.audio, "A1A2HBHCHD");
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 3), 8u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentEnd, 3), 10u);
}

TEST(Request, ACacheHitReportsTheWordsTheSynthesisDid) {
  // First request: synthesized, its output (words included) goes to the cache.
  Fixture first({"a"}, Request::Limits{1, 1 << 20, true});
  first.request.cache_checked(0, nullptr);
  first.start(0);
  first.request.on_word(0, worker::WordMark{3, 0, 5, 0});
  first.request.on_audio(0, std::string(8, 'a'));
  first.request.on_word(0, worker::WordMark{3, 6, 5, 3});
  const CachedSegment full = first.request.on_done(0);
  EXPECT_EQ(full.pcm, std::string(8, 'a'));
  ASSERT_EQ(full.words.size(), 2u);

  // Second request: segment 1 is the same text, served from the cache.
  Fixture second({"b", "a"}, Request::Limits{1, 1 << 20, true});
  second.request.cache_checked(0, nullptr);
  second.request.cache_checked(1, std::make_shared<const CachedSegment>(full));
  second.start(0);
  second.request.on_audio(0, std::string(6, 'b'));
  second.request.on_done(0);
  second.drain();
  ASSERT_EQ(second.drain(), State::kEnd);
  std::vector<AudioMark> words;
  for (const AudioMark& m : second.marks)
    if (m.kind == Kind::kWord) words.push_back(m);
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].segment, 1u);
  EXPECT_EQ(words[0].offset, 6u);
  EXPECT_EQ(words[0].text_offset, 0u);
  EXPECT_EQ(words[1].offset, 6u + 6u);  // sample 3 of the cached segment
  EXPECT_EQ(words[1].text_offset, 6u);
  EXPECT_EQ(words[1].text_length, 5u);
}

TEST(Request, CacheLookupsStopAtTheBufferBound) {
  Fixture f({"a", "b", "c"}, Request::Limits{4, 4, true});
  ASSERT_EQ(f.request.cache_candidates(), (std::vector<std::size_t>{0, 1, 2}));
  f.request.cache_checked(0, std::make_shared<const CachedSegment>(CachedSegment{"012345", {}}));
  EXPECT_TRUE(f.request.cache_candidates().empty()) << "6 bytes unread, bound 4";
  f.request.cache_checked(1, nullptr);
  f.request.cache_checked(2, nullptr);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  std::string out;
  f.stream->take(out);
  EXPECT_EQ(f.resumes, 1);
  EXPECT_EQ(f.request.next_to_run(false), 1u);
}

TEST(Request, WithoutCacheOnDoneKeepsNothing) {
  Fixture f({"a"});
  f.start(0);
  f.request.on_audio(0, "A1");
  EXPECT_EQ(f.request.on_done(0).pcm, "");
}

TEST(Request, AnOpenRequestCompletesOnlyAfterClose) {
  Fixture f({}, {}, /*open=*/true);
  EXPECT_EQ(f.request.size(), 0u);
  EXPECT_FALSE(f.request.next_to_run(false).has_value());
  EXPECT_FALSE(f.request.complete());

  f.request.append({"a"});
  f.start(0);
  f.request.on_audio(0, "A1");
  f.request.on_done(0);
  EXPECT_FALSE(f.request.complete()) << "more text may come";
  f.drain();
  EXPECT_EQ(f.drain(), State::kPending);

  f.request.append({"b", "c"});
  f.start(1);
  f.request.on_audio(1, "B1");
  f.start(2);
  f.request.close();  // 1 and 2 still run
  EXPECT_FALSE(f.request.complete());
  f.request.on_done(2);
  f.request.on_done(1);
  EXPECT_TRUE(f.request.complete());
  f.drain();
  EXPECT_EQ(f.drain(), State::kEnd);
  EXPECT_EQ(f.audio, "A1B1");
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 1), 2u);
  EXPECT_EQ(offset_of(f.marks, Kind::kSegmentStart, 2), 4u);
}

TEST(Request, ClosingAnOpenRequestWhoseTextIsAllDeliveredEndsTheStream) {
  Fixture f({"a"}, {}, /*open=*/true);
  f.start(0);
  f.request.on_audio(0, "A1");
  f.request.on_done(0);
  f.drain();
  EXPECT_EQ(f.drain(), State::kPending);
  f.request.close();
  EXPECT_TRUE(f.request.complete());
  EXPECT_EQ(f.drain(), State::kEnd);
}

}  // namespace
}  // namespace lector::sched
