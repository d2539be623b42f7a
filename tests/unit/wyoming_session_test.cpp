// The Wyoming session (wyoming/session.h) against a real Api and Scheduler whose workers are
// fakes on socketpairs (fake_worker.h): which events answer which, in what order, with which
// audio, and that every way a connection ends leaves the scheduler idle (the fixture's
// TearDown checks it).
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "api/api.h"
#include "core/error.h"
#include "fake_worker.h"
#include "text/segmenter.h"
#include "wyoming/info.h"
#include "wyoming/session.h"

namespace lector::wyoming {
namespace {

using json = nlohmann::json;
using sched::fake::audio_of;
using sched::fake::FakeEvent;
using sched::fake::Gate;
using sched::fake::JobPlan;
using sched::fake::same_audio;
using EventKind = FakeEvent::Kind;

Event event(std::string type, json data = json::object()) {
  return Event{std::move(type), std::move(data), {}};
}

class WyomingSessionTest : public sched::fake::SchedulerFixture {
 protected:
  void start_api(int workers = 2) {
    start(workers);
    api::ApiConfig config;
    config.default_engine = sched::fake::kEngine;
    config.default_voice = "v1";
    api_ = std::make_unique<api::Api>(*scheduler_, config);
    session_ = std::make_unique<Session>(*api_, ProgramInfo{"9.9", "http://lector.test/"});
    session_->set_waker([signal = signal_] {
      std::lock_guard lock(signal->mu);
      ++signal->wakes;
      signal->cv.notify_all();
    });
  }

  void TearDown() override {
    session_.reset();  // cancels whatever it still holds
    api_.reset();
    SchedulerFixture::TearDown();
  }

  void send(std::string type, json data = json::object()) {
    session_->on_event(event(std::move(type), std::move(data)));
  }

  // Takes the session's output until `done(out_)` holds, waiting for its waker in between;
  // false after the liveness guard.
  bool pump(const std::function<bool(const std::vector<Event>&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + sched::fake::kLiveness;
    for (;;) {
      std::uint64_t seen;
      {
        std::lock_guard lock(signal_->mu);
        seen = signal_->wakes;
      }
      std::string bytes;
      while (session_->next_output(bytes)) {
      }
      decoder_.feed(bytes);
      while (auto e = decoder_.next()) out_.push_back(std::move(*e));
      if (done(out_)) return true;
      std::unique_lock lock(signal_->mu);
      if (!signal_->cv.wait_until(lock, deadline, [&] { return signal_->wakes != seen; }))
        return false;
    }
  }
  bool pump_until_type(const std::string& type) {
    return pump([&](const std::vector<Event>& ev) {
      for (const Event& e : ev)
        if (e.type == type) return true;
      return false;
    });
  }
  std::vector<std::string> types() const {
    std::vector<std::string> t;
    for (const Event& e : out_) t.push_back(e.type);
    return t;
  }
  std::string pcm() const {
    std::string p;
    for (const Event& e : out_)
      if (e.type == "audio-chunk") p += e.payload;
    return p;
  }
  std::vector<std::string> segments(const std::string& text, const std::string& language) const {
    return text::split_segments(text, language, api_->config().segmenter);
  }
  // The texts the fake workers were asked to synthesize, in order.
  std::vector<std::string> started() const {
    std::vector<std::string> t;
    for (const FakeEvent& e : fleet_.events())
      if (e.kind == EventKind::kStarted) t.push_back(e.text);
    return t;
  }
  const Event& last() const { return out_.back(); }

  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t wakes = 0;
  };
  std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<Session> session_;
  FrameDecoder decoder_;
  std::vector<Event> out_;
};

TEST_F(WyomingSessionTest, DescribeListsEveryVoiceWithTheFieldsHomeAssistantReads) {
  start_api();
  send("describe");
  ASSERT_TRUE(pump_until_type("info"));
  const json& tts = last().data.at("tts");
  ASSERT_EQ(tts.size(), 1u);
  EXPECT_EQ(tts[0]["name"], "lector");
  EXPECT_EQ(tts[0]["installed"], true);
  EXPECT_EQ(tts[0]["version"], "9.9");
  EXPECT_EQ(tts[0]["supports_synthesize_streaming"], true);
  EXPECT_EQ(tts[0]["attribution"], json({{"name", "Lector"}, {"url", "http://lector.test/"}}));
  const json& voices = tts[0]["voices"];
  ASSERT_EQ(voices.size(), 2u);
  EXPECT_EQ(voices[0]["name"], "fake:v1");
  EXPECT_EQ(voices[0]["languages"], json({"en"}));
  EXPECT_EQ(voices[0]["description"], "Voice One (fake)");
  EXPECT_EQ(voices[1]["name"], "fake:v2");
  for (const json& v : voices) {
    EXPECT_EQ(v["installed"], true);
    EXPECT_TRUE(v["attribution"]["name"].is_string());
    EXPECT_TRUE(v["attribution"]["url"].is_string());
    EXPECT_TRUE(v.contains("speakers"));
    EXPECT_TRUE(v["version"].is_string());
  }
  for (const char* empty : {"asr", "handle", "intent", "wake", "mic", "snd"})
    EXPECT_EQ(last().data.at(empty), json::array()) << empty;
  EXPECT_TRUE(session_->idle());
}

TEST_F(WyomingSessionTest, SynthesizeAnswersAudioStartChunksStop) {
  start_api();
  const std::string text = "Alpha beta gamma. Delta epsilon. Zeta.";
  send("synthesize", {{"text", text}, {"voice", {{"name", "fake:v2"}}}});
  ASSERT_TRUE(pump_until_type("audio-stop"));
  const std::vector<std::string> t = types();
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t.front(), "audio-start");
  EXPECT_EQ(t.back(), "audio-stop");
  EXPECT_EQ(out_.front().data, json({{"rate", 16000}, {"width", 2}, {"channels", 1}}));
  for (std::size_t i = 1; i + 1 < out_.size(); ++i) {
    EXPECT_EQ(out_[i].type, "audio-chunk");
    EXPECT_EQ(out_[i].data["rate"], 16000);
    EXPECT_LE(out_[i].payload.size(), Session::kChunkBytes);
  }
  const auto segs = segments(text, "de");
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_TRUE(same_audio(pcm(), audio_of(segs)));
  EXPECT_EQ(started(), segs);
  EXPECT_TRUE(session_->idle());
  EXPECT_FALSE(session_->done());  // the connection stays open for more
}

TEST_F(WyomingSessionTest, VoiceByIdNameLanguageOrDefault) {
  start_api();
  auto voice = [&](json v) {
    const sched::SynthesisRequest r = choose_voice(*api_, v);
    return r.engine + ":" + r.voice;
  };
  EXPECT_EQ(voice(nullptr), "fake:v1");
  EXPECT_EQ(voice(json::object()), "fake:v1");
  EXPECT_EQ(voice({{"name", "fake:v2"}}), "fake:v2");
  EXPECT_EQ(voice({{"name", "v2"}}), "fake:v2");  // a voice of the default engine
  EXPECT_EQ(voice({{"name", "v2"}, {"language", "en"}, {"speaker", "x"}}), "fake:v2");
  EXPECT_EQ(voice({{"language", "de"}}), "fake:v2");
  EXPECT_EQ(voice({{"language", "DE_at"}}), "fake:v2");  // same primary language
  EXPECT_EQ(voice({{"language", "en"}}), "fake:v1");
  for (const json& bad :
       {json({{"name", "nope"}}), json({{"language", "fr"}}), json({{"name", 5}}), json("v1")}) {
    SCOPED_TRACE(bad.dump());
    try {
      choose_voice(*api_, bad);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
      EXPECT_NE(std::string(e.what()).find("'voice"), std::string::npos) << e.what();
    }
  }
}

TEST_F(WyomingSessionTest, StreamSpeaksEachSentenceAsItIsConfirmed) {
  start_api();
  const std::string text = "Alpha beta. Gamma delta epsilon. Zeta eta.";
  send("synthesize-start", {{"voice", {{"name", "v1"}}}});
  send("synthesize-chunk", {{"text", "Alpha be"}});
  send("synthesize-chunk", {{"text", "ta. Gam"}});
  // The first sentence is confirmed by the next one's first letter and goes to a worker
  // before the stream ends.
  ASSERT_TRUE(fleet_.wait_count(EventKind::kDone, "Alpha beta.", 1));
  ASSERT_TRUE(pump_until_type("audio-start"));
  send("synthesize-chunk", {{"text", "ma delta epsilon. Zeta e"}});
  send("synthesize-chunk", {{"text", "ta."}});
  // Home Assistant's copy of the whole text, inside the stream: ignored.
  send("synthesize", {{"text", text}});
  send("synthesize-stop");
  ASSERT_TRUE(pump_until_type("synthesize-stopped"));
  const std::vector<std::string> t = types();
  EXPECT_EQ(t.front(), "audio-start");
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[t.size() - 2], "audio-stop");
  EXPECT_EQ(t.back(), "synthesize-stopped");
  const auto segs = segments(text, "en");
  EXPECT_EQ(started(), segs);
  EXPECT_TRUE(same_audio(pcm(), audio_of(segs)));
  EXPECT_TRUE(session_->idle());
}

TEST_F(WyomingSessionTest, TheSynthesizeRightAfterAStreamIsIgnoredOnce) {
  start_api();
  send("synthesize-start");
  send("synthesize-chunk", {{"text", "One two."}});
  send("synthesize-stop");
  send("synthesize", {{"text", "One two."}});  // the reference server's documented order
  ASSERT_TRUE(pump_until_type("synthesize-stopped"));
  EXPECT_EQ(started(), std::vector<std::string>{"One two."});
  // The next one is a request of its own.
  send("synthesize", {{"text", "Three four."}});
  ASSERT_TRUE(pump([](const std::vector<Event>& ev) {
    return std::count_if(ev.begin(), ev.end(),
                         [](const Event& e) { return e.type == "audio-stop"; }) == 2;
  }));
  EXPECT_EQ(started(), (std::vector<std::string>{"One two.", "Three four."}));
}

TEST_F(WyomingSessionTest, AnEmptyStreamAnswersOnlySynthesizeStopped) {
  start_api();
  send("synthesize-start");
  send("synthesize-stop");
  ASSERT_TRUE(pump_until_type("synthesize-stopped"));
  EXPECT_EQ(types(), std::vector<std::string>{"synthesize-stopped"});
}

TEST_F(WyomingSessionTest, AnswersLeaveInTheOrderAsked) {
  start_api();
  send("synthesize", {{"text", "First one."}});
  send("describe");
  send("ping", {{"text", "hi"}});
  ASSERT_TRUE(pump_until_type("pong"));
  const std::vector<std::string> t = types();
  EXPECT_EQ(t.front(), "audio-start");
  EXPECT_EQ(t[t.size() - 3], "audio-stop");
  EXPECT_EQ(t[t.size() - 2], "info");
  EXPECT_EQ(last().data["text"], "hi");
}

TEST_F(WyomingSessionTest, UnknownEventsAreIgnored) {
  start_api();
  send("transcribe", {{"x", 1}});
  send("describe");
  ASSERT_TRUE(pump_until_type("info"));
  EXPECT_EQ(types(), std::vector<std::string>{"info"});
}

// An error event with `code`, then nothing more: the connection is to be closed.
void expect_error_then_done(WyomingSessionTest& t, const std::vector<Event>& out,
                            const Session& session, const char* code, const char* words) {
  ASSERT_FALSE(out.empty());
  const Event& e = out.back();
  ASSERT_EQ(e.type, "error");
  EXPECT_EQ(e.data["code"], code);
  EXPECT_NE(e.data["text"].get<std::string>().find(words), std::string::npos) << e.data.dump();
  EXPECT_TRUE(session.done());
  EXPECT_FALSE(session.input_open());
  (void)t;
}

TEST_F(WyomingSessionTest, EventsOutOfOrderAreErrors) {
  const std::vector<std::pair<std::vector<std::string>, const char*>> cases = {
      {{"synthesize-chunk"}, "synthesize-chunk without synthesize-start"},
      {{"synthesize-stop"}, "synthesize-stop without synthesize-start"},
      {{"synthesize-start", "synthesize-start"}, "synthesize-start while a stream is open"},
  };
  start_api();
  for (const auto& [events, words] : cases) {
    SCOPED_TRACE(words);
    out_.clear();
    session_ = std::make_unique<Session>(*api_, ProgramInfo{"9.9", "u"});
    for (const std::string& type : events) send(type, {{"text", "Hello."}});
    send("describe");  // after an error, nothing more is answered
    ASSERT_TRUE(pump_until_type("error"));
    expect_error_then_done(*this, out_, *session_, "malformed", words);
  }
}

TEST_F(WyomingSessionTest, BadRequestsAreErrors) {
  const std::vector<std::pair<json, const char*>> cases = {
      {json::object(), "parameter 'text': missing"},
      {{{"text", 5}}, "parameter 'text': missing or not a string"},
      {{{"text", "  "}}, "parameter 'text': empty"},
      {{{"text", "Hi."}, {"voice", {{"name", "zz"}}}}, "unknown voice 'zz'"},
      {{{"text", "Hi."}, {"voice", {{"language", "xx"}}}}, "no voice speaks language 'xx'"},
  };
  start_api();
  for (const auto& [data, words] : cases) {
    SCOPED_TRACE(words);
    out_.clear();
    session_ = std::make_unique<Session>(*api_, ProgramInfo{"9.9", "u"});
    send("synthesize", data);
    ASSERT_TRUE(pump_until_type("error"));
    expect_error_then_done(*this, out_, *session_, "bad_parameter", words);
  }
}

TEST_F(WyomingSessionTest, AFrameErrorIsAnsweredAfterWhatCameBefore) {
  start_api();
  send("synthesize", {{"text", "Before the error."}});
  session_->on_frame_error(Error(ErrorCode::kTooLarge, "header line over 65536 bytes"));
  ASSERT_TRUE(pump_until_type("error"));
  const std::vector<std::string> t = types();
  EXPECT_EQ(t.front(), "audio-start");
  EXPECT_EQ(t[t.size() - 2], "audio-stop");
  expect_error_then_done(*this, out_, *session_, "too_large", "65536");
}

TEST_F(WyomingSessionTest, TooManyWaitingAnswersAreRefused) {
  start_api();
  for (std::size_t i = 0; i <= Session::kMaxPending; ++i) send("ping");
  ASSERT_TRUE(pump_until_type("error"));
  EXPECT_EQ(out_.size(), Session::kMaxPending + 1);
  expect_error_then_done(*this, out_, *session_, "overloaded", "too many");
}

TEST_F(WyomingSessionTest, AFailedSynthesisIsAnErrorAndTheEnd) {
  plan([](const std::string& text, int, JobPlan& p) { p.error = text == "Broken."; });
  start_api();
  send("synthesize", {{"text", "Broken."}});
  ASSERT_TRUE(pump_until_type("error"));
  expect_error_then_done(*this, out_, *session_, "synthesis_failed", "synthesis failed");
}

TEST_F(WyomingSessionTest, EndOfInputFinishesAnswersButCancelsAnOpenStream) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string& text, int, JobPlan& p) {
    if (text == "Held.") p.gates[1] = gate;
  });
  start_api();
  send("synthesize", {{"text", "Held."}});
  send("synthesize-start");
  send("synthesize-chunk", {{"text", "Never stopped. And more"}});
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStalled, "Held.", 1));
  session_->on_input_end();
  EXPECT_FALSE(session_->done());  // "Held." is still owed
  gate->open();
  ASSERT_TRUE(pump([&](const std::vector<Event>&) { return session_->done(); }));
  const std::vector<std::string> t = types();
  EXPECT_EQ(t.back(), "audio-stop");
  EXPECT_EQ(std::count(t.begin(), t.end(), "audio-start"), 1);
}

TEST_F(WyomingSessionTest, DisconnectCancelsWhatIsInFlight) {
  auto gate = std::make_shared<Gate>();
  plan([&](const std::string&, int, JobPlan& p) { p.gates[1] = gate; });
  start_api();
  send("synthesize", {{"text", "Stuck here. And here."}});
  ASSERT_TRUE(fleet_.wait_count(EventKind::kStalled, "", 1));
  session_->on_disconnect();
  ASSERT_TRUE(fleet_.wait_count(EventKind::kCancelReceived, "", 1));
  EXPECT_TRUE(session_->done());
  std::string bytes;
  EXPECT_FALSE(session_->next_output(bytes));
  // TearDown checks the scheduler is idle again.
}

}  // namespace
}  // namespace lector::wyoming
