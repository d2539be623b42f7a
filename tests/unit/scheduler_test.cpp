// A real sched::Scheduler and WorkerPool against fake workers on socketpairs (fake_worker.h).
// Causality comes from the fake workers' event log and from stats(), which reflects every
// command posted before it; waits are bounded only as liveness guards.
#include "sched/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "fake_worker.h"

namespace lector::sched {
namespace {

using fake::all_idle;
using fake::audio_of;
using fake::busy_workers;
using fake::FakeEvent;
using fake::Gate;
using fake::JobPlan;
using fake::Reader;
using fake::same_audio;
using fake::texts;
using EventKind = FakeEvent::Kind;
using State = AudioSource::State;

// The fixture (fake_worker.h) starts the scheduler against fake workers and checks in its
// TearDown that every test left it idle.
using SchedulerTest = fake::SchedulerFixture;

TEST_F(SchedulerTest, ParallelSegmentsAreAssembledInOrder) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text == "s0") p.gates[1] = gate;  // the head stalls after its first chunk
  });
  start(3);
  const std::vector<std::string> segments = texts("s", 4);
  RequestHandle h = submit(segments);
  Reader reader(h);
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s3", 1));
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s1", 1));
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s2", 1));
  // Once the scheduler has taken in their Done frames, only the head's worker is busy ...
  ASSERT_TRUE(wait_stats([](const SchedulerStats& s) { return busy_workers(s) == 1; }));
  // ... and the client still has nothing but the head's first chunk.
  reader.read_until(1);
  EXPECT_EQ(reader.poll(), State::kPending);
  EXPECT_TRUE(same_audio(reader.audio, fake::fake_chunk("s0", 0, JobPlan{}.chunk_samples)));

  const fake::Events events = fleet_.events();
  EXPECT_NE(events[fake::first(events, EventKind::kStarted, "s1")].worker,
            events[fake::first(events, EventKind::kStarted, "s0")].worker);
  gate->open();
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments)));
  fake::expect_marks(reader.marks, segments, JobPlan{});
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), 4u);
}

TEST_F(SchedulerTest, ARetrySkipsTheAudioTheClientAlreadyHas) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int attempt, JobPlan& p) {
    if (text == "s0" && attempt == 0) {
      p.gates[2] = gate;  // two chunks out, then dies once the client has read them
      p.die_before = 2;
    }
  });
  start(1);
  const std::vector<std::string> segments = texts("s", 2);
  RequestHandle h = submit(segments);
  Reader reader(h);
  reader.read_until(2 * fake::fake_chunk("s0", 0, JobPlan{}.chunk_samples).size());
  gate->open();
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments))) << "every byte exactly once";
  fake::expect_marks(reader.marks, segments, JobPlan{});

  const fake::Events events = fleet_.events();
  EXPECT_EQ(fake::count(events, EventKind::kDied), 1u);
  EXPECT_EQ(fake::count(events, EventKind::kStarted, "s0"), 2u);
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.segments_retried, 1u);
  EXPECT_EQ(s.worker_restarts, 1u);
  EXPECT_EQ(s.requests_completed, 1u);
}

TEST_F(SchedulerTest, ASegmentLostTwiceFailsTheRequest) {
  plan([](const std::string& text, int, JobPlan& p) {
    if (text == "s0") p.die_before = 1;
  });
  start(1);
  RequestHandle h = submit(texts("s", 2));
  Reader reader(h);
  ASSERT_EQ(reader.read_to_end(), State::kFailed);
  EXPECT_NE(h.error().find("failed twice"), std::string::npos) << h.error();
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted, "s1"), 0u);
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.requests_failed, 1u);
  EXPECT_EQ(s.requests_active, 0u);
}

TEST_F(SchedulerTest, AWorkerErrorFailsTheRequestAndTheWorkerStaysUsable) {
  plan([](const std::string& text, int, JobPlan& p) { p.error = text == "bad0"; });
  start(1);
  {
    RequestHandle h = submit({"bad0", "bad1"});
    Reader reader(h);
    ASSERT_EQ(reader.read_to_end(), State::kFailed);
    EXPECT_NE(h.error().find("fake failure"), std::string::npos) << h.error();
  }
  RequestHandle h = submit({"good0"});
  Reader reader(h);
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of({"good0"})));
  EXPECT_EQ(scheduler_->stats().worker_restarts, 0u);
}

TEST_F(SchedulerTest, LookAheadIsBoundedAndWaitsForTheHeadsFirstAudio) {
  auto first_audio = std::make_shared<Gate>();
  auto rest = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text != "s0") return;
    p.gates[0] = first_audio;
    p.gates[1] = rest;
  });
  SchedulerConfig c = config();
  c.lookahead = 2;
  // Without the cache: its lookups have their own window, which would hide next_to_run's.
  c.cache_bytes = 0;
  start(4, c);
  const std::vector<std::string> segments = texts("s", 8);
  RequestHandle h = submit(segments);
  Reader reader(h);

  ASSERT_TRUE(fleet_.wait_count(EventKind::kStalled, "s0", 1));
  // A look-ahead segment sent in the meantime would show as a busy worker, or if it finished
  // already, as a start in the log (logged before its Done, which the scheduler has read).
  last_ = scheduler_->stats();
  EXPECT_EQ(busy_workers(last_), 1u) << "no look-ahead before the head has audio";
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), 1u);

  first_audio->open();
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s1", 1));
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s2", 1));
  ASSERT_TRUE(wait_stats([](const SchedulerStats& s) { return busy_workers(s) == 1; }));
  // Idle workers, pending segments, and yet only head + lookahead segments ever started.
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), 3u);
  EXPECT_EQ(last_.segments_queued, 5u);
  reader.read_until(1);
  EXPECT_EQ(reader.poll(), State::kPending);

  rest->open();
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments)));

  // Over the whole run: segment i started only after every segment before i - lookahead was
  // done (the scheduler saw their Done before it sent the Synthesize).
  const fake::Events events = fleet_.events();
  EXPECT_EQ(fake::count(events, EventKind::kStarted), segments.size());
  for (std::size_t e = 0; e < events.size(); ++e) {
    if (events[e].kind != EventKind::kStarted) continue;
    const int i = fake::index_of(events[e].text);
    for (int j = 0; j < i - static_cast<int>(c.lookahead); ++j)
      EXPECT_LT(fake::first(events, EventKind::kDone, "s" + std::to_string(j)), e)
          << "s" << i << " started before s" << j << " was done";
  }
}

TEST_F(SchedulerTest, AnUnreadStreamPausesSynthesisUntilTheClientReads) {
  JobPlan base;
  base.chunks = 4;
  base.chunk_samples = 100;  // 800 bytes a segment
  plan({}, base);
  SchedulerConfig c = config();
  c.max_buffered_bytes = 1000;
  start(2, c);
  const std::vector<std::string> segments = texts("s", 12);
  RequestHandle h = submit(segments);

  // Nobody reads: the workers run dry although segments are queued.
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "", 1));
  ASSERT_TRUE(wait_stats([](const SchedulerStats& s) { return all_idle(s); }));
  EXPECT_GT(last_.segments_queued, 0u);
  const fake::Events paused = fleet_.events();
  const std::size_t started = fake::count(paused, EventKind::kStarted);
  EXPECT_LT(started, segments.size());
  std::size_t produced = 0;
  for (const FakeEvent& e : paused) produced += e.kind == EventKind::kChunk ? e.bytes : 0;
  // Each dispatch saw at most the bound; the segments running then add one each at most.
  EXPECT_LE(produced, c.max_buffered_bytes + 2 * fake::fake_audio("s0", base).size());

  Reader reader(h);
  reader.read_until(1);  // frees room: the stream's resume callback wakes the scheduler
  EXPECT_TRUE(fleet_.wait_count(EventKind::kStarted, "", started + 1)) << "synthesis resumed";
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments, base)));
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), segments.size());
}

// Regression (see Request.ARetriedHeadRunsEvenWhenLookAheadAudioIsOverTheBound): the head's
// worker dies while finished look-ahead segments hold more than max_buffered_bytes; the retry
// of the head used never to be dispatched, and the client waited for ever.
TEST_F(SchedulerTest, AHeadLostBehindBufferedLookAheadIsStillRetried) {
  JobPlan base;
  base.chunks = 4;
  base.chunk_samples = 100;  // 800 bytes a segment
  auto gate = std::make_shared<Gate>();
  plan(
      [&](const std::string& text, int attempt, JobPlan& p) {
        if (text != "s0" || attempt != 0) return;
        p.gates[1] = gate;  // one chunk out, then dies when told
        p.die_before = 1;
      },
      base);
  SchedulerConfig c = config();
  c.max_buffered_bytes = 1000;
  start(2, c);
  const std::vector<std::string> segments = texts("s", 4);
  RequestHandle h = submit(segments);
  Reader reader(h);
  reader.read_until(200);
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s2", 1));  // 1600 bytes behind the head
  gate->open();
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments, base)));
}

TEST_F(SchedulerTest, DroppingTheHandleCancelsTheRequestAndFreesItsSlot) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text == "s0") p.gates[1] = gate;
  });
  start(1);
  {
    RequestHandle h = submit(texts("s", 3));
    Reader reader(h);
    reader.read_until(1);
  }  // gone mid-stream
  ASSERT_TRUE(fleet_.wait_count(EventKind::kCancelReceived, "s0", 1));
  ASSERT_TRUE(fleet_.wait_count(EventKind::kCancelled, "s0", 1));
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.requests_active, 0u);
  EXPECT_EQ(s.segments_queued, 0u);
  EXPECT_EQ(s.requests_cancelled, 1u);
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), 1u);

  // The worker serves the next request.
  RequestHandle next = submit({"n0"});
  Reader reader(next);
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of({"n0"})));
  gate->open();
}

TEST_F(SchedulerTest, AWorkerIgnoringCancelIsKilledAtItsDeadline) {
  auto never = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text != "s0") return;
    p.gates[1] = never;
    p.ignore_cancel = true;
  });
  SchedulerConfig c = config();
  c.segment_timeout = std::chrono::milliseconds(300);
  start(1, c);
  {
    RequestHandle h = submit({"s0"});
    Reader reader(h);
    reader.read_until(1);
  }
  ASSERT_TRUE(fleet_.wait_count(EventKind::kCancelReceived, "s0", 1));
  ASSERT_TRUE(fleet_.wait_count(EventKind::kKilled, "s0", 1)) << "its socket was closed";
  ASSERT_TRUE(fleet_.wait_count(EventKind::kHello, "", 2)) << "and it was replaced";
  EXPECT_TRUE(wait_stats([](const SchedulerStats& s) { return all_idle(s); }));
  EXPECT_EQ(last_.worker_restarts, 1u);
  EXPECT_EQ(last_.segments_retried, 0u) << "a cancelled segment is not retried";
  never->open();
}

TEST_F(SchedulerTest, AWorkerThatFinishesDespiteCancelIsReused) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text != "s0") return;
    p.gates[1] = gate;
    p.ignore_cancel = true;
  });
  start(1);
  {
    RequestHandle h = submit(texts("s", 2));
    Reader reader(h);
    reader.read_until(1);
  }
  ASSERT_TRUE(fleet_.wait_count(EventKind::kCancelReceived, "s0", 1));
  gate->open();  // it sends the rest and Done as if nothing happened
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "s0", 1));
  EXPECT_TRUE(wait_stats([](const SchedulerStats& s) { return all_idle(s); }));
  EXPECT_EQ(last_.worker_restarts, 0u);
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted, "s1"), 0u);
}

TEST_F(SchedulerTest, AShortRequestsHeadGoesBeforeALongOnesLookAhead) {
  auto head = std::make_shared<Gate>();
  auto second = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text == "L0") p.gates[1] = head;
    if (text == "L1") p.gates[0] = second;
  });
  start(2, config(), /*other=*/1);
  const std::vector<std::string> long_text = texts("L", 8);
  RequestHandle lh = submit(long_text);
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStalled, "L1", 1));  // both workers busy
  RequestHandle sh = submit({"S0"});
  // A request of another engine, served last: round-robin goes on after it, so it visits the
  // long request before the short one, and only the head-first pass puts the short one first.
  RequestHandle rh = submit({"R0"}, false, SchedulerTest::kOther);
  Reader other_reader(rh);
  ASSERT_EQ(other_reader.read_to_end(), State::kEnd);
  last_ = scheduler_->stats();  // the short request is queued now
  EXPECT_EQ(busy_workers(last_), 2u);

  second->open();  // frees one worker: the short request's head must get it
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStarted, "S0", 1));
  const fake::Events events = fleet_.events();
  EXPECT_LT(fake::first(events, EventKind::kStarted, "S0"),
            fake::first(events, EventKind::kStarted, "L2"));
  Reader short_reader(sh);
  ASSERT_EQ(short_reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(short_reader.audio, audio_of({"S0"})));

  head->open();
  Reader long_reader(lh);
  ASSERT_EQ(long_reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(long_reader.audio, audio_of(long_text)));
}

TEST_F(SchedulerTest, ANewRequestsFirstSegmentGoesBeforeAPlayingRequestsHead) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text == "A0") p.gates[1] = gate;  // A is heard (its first chunk) and holds the worker
  });
  start(1, config(), /*other=*/1);
  const std::vector<std::string> playing = texts("A", 2);
  RequestHandle ah = submit(playing);
  Reader playing_reader(ah);
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStalled, "A0", 1));
  playing_reader.read_until(1);
  RequestHandle nh = submit({"N0"});
  // Another engine's request, served last: round-robin goes on after it, so it would visit
  // the playing request's head A1 before the new request; only the first-audio pass puts the
  // new request first.
  RequestHandle rh = submit({"R0"}, false, SchedulerTest::kOther);
  Reader other_reader(rh);
  ASSERT_EQ(other_reader.read_to_end(), State::kEnd);
  last_ = scheduler_->stats();  // the new request is queued now

  gate->open();
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStarted, "A1", 1));
  const fake::Events events = fleet_.events();
  EXPECT_LT(fake::first(events, EventKind::kStarted, "N0"),
            fake::first(events, EventKind::kStarted, "A1"));
  Reader new_reader(nh);
  ASSERT_EQ(new_reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(new_reader.audio, audio_of({"N0"})));
  ASSERT_EQ(playing_reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(playing_reader.audio, audio_of(playing)));
}

TEST_F(SchedulerTest, OverMaxRequestsSubmitIsRejectedUntilAHandleGoesAway) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string&, int, JobPlan& p) { p.gates[1] = gate; });
  SchedulerConfig c = config();
  c.max_requests = 2;
  start(1, c);
  RequestHandle a = submit({"a0"});
  RequestHandle b = submit({"b0"});
  try {
    submit({"c0"});
    ADD_FAILURE() << "a third request was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOverloaded) << e.what();
  }
  EXPECT_EQ(scheduler_->stats().requests_rejected, 1u);
  b = RequestHandle();  // cancels b: its slot comes back at once
  EXPECT_EQ(scheduler_->stats().requests_active, 1u);
  RequestHandle d = submit({"d0"});

  gate->open();
  Reader ra(a);
  ASSERT_EQ(ra.read_to_end(), State::kEnd);
  Reader rd(d);
  ASSERT_EQ(rd.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(rd.audio, audio_of({"d0"})));
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.requests_total, 3u);
  EXPECT_EQ(s.requests_active, 0u) << "a request read to its end frees its slot";
}

TEST_F(SchedulerTest, AWorkerPastItsDeadlineIsKilledAndTheSegmentRetried) {
  auto never = std::make_shared<Gate>();
  plan([&](const std::string& text, int attempt, JobPlan& p) {
    if (text == "s0" && attempt == 0) p.gates[1] = never;
  });
  SchedulerConfig c = config();
  c.segment_timeout = std::chrono::milliseconds(500);
  start(1, c);
  const std::vector<std::string> segments = texts("s", 2);
  RequestHandle h = submit(segments);
  Reader reader(h);
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of(segments)));
  fake::expect_marks(reader.marks, segments, JobPlan{});
  const fake::Events events = fleet_.events();
  EXPECT_EQ(fake::count(events, EventKind::kKilled, "s0"), 1u);
  EXPECT_EQ(fake::count(events, EventKind::kStarted, "s0"), 2u);
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.segments_retried, 1u);
  EXPECT_EQ(s.worker_restarts, 1u);
  never->open();
}

TEST_F(SchedulerTest, StatsReflectEveryCommandPostedBeforeThem) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text != "s0") return;
    p.gates[0] = gate;
    p.ignore_cancel = true;  // so it stays busy until the gate opens, whatever is cancelled
  });
  start(1);
  RequestHandle h = submit(texts("s", 3));
  SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.requests_total, 1u);
  EXPECT_EQ(s.requests_active, 1u);
  EXPECT_EQ(s.segments_queued, 2u) << "s0 runs, s1 and s2 wait";

  RequestHandle open = submit({"o0"}, /*open=*/true);
  open.append({"o1", "o2"});
  s = scheduler_->stats();
  EXPECT_EQ(s.requests_total, 2u);
  EXPECT_EQ(s.segments_queued, 5u);

  h.cancel();
  s = scheduler_->stats();
  EXPECT_EQ(s.requests_cancelled, 1u);
  EXPECT_EQ(s.requests_active, 1u);
  EXPECT_EQ(s.segments_queued, 3u);

  open.close();
  gate->open();
  Reader reader(open);
  ASSERT_EQ(reader.read_to_end(), State::kEnd);
  EXPECT_TRUE(same_audio(reader.audio, audio_of({"o0", "o1", "o2"})));
  s = scheduler_->stats();
  EXPECT_EQ(s.requests_completed, 1u);
  EXPECT_EQ(s.segments_done, 3u);
}

// Regression: with two threads calling stats(), one could return a snapshot taken before its
// own earlier command (a flag and a generation counter: a loop pass that took the flag for the
// other thread before this one posted its command published without it). stats() now takes a
// ticket. A race, so a loop: before the fix 9 runs in 10 found a stale snapshot here.
TEST_F(SchedulerTest, StatsSeeEarlierCommandsWhileAnotherThreadAsksToo) {
  start(1);
  std::atomic<bool> stop{false};
  std::thread status_page([&] {
    while (!stop) scheduler_->stats();
  });
  int stale = 0;
  for (int i = 1; i <= 20000; ++i) {
    RequestHandle h = submit({}, /*open=*/true);  // no text: nothing runs, the slot comes back
    if (scheduler_->stats().requests_total != static_cast<std::uint64_t>(i)) ++stale;
  }
  stop = true;
  status_page.join();
  EXPECT_EQ(stale, 0) << "snapshots that missed the submit just before them";
}

TEST_F(SchedulerTest, ACachedSegmentNeedsNoWorker) {
  start(1);
  for (int round = 0; round < 2; ++round) {
    RequestHandle h = submit({"same"});
    Reader reader(h);
    ASSERT_EQ(reader.read_to_end(), State::kEnd);
    EXPECT_TRUE(same_audio(reader.audio, audio_of({"same"}))) << "round " << round;
  }
  EXPECT_EQ(fake::count(fleet_.events(), EventKind::kStarted), 1u);
  EXPECT_EQ(scheduler_->stats().cache_hits, 1u);
}

}  // namespace
}  // namespace lector::sched
