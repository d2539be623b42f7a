// RealtimeTTS's WebSocket protocol, /ws (example_fast_api/async_server.py): each text message
// is one utterance; audio comes back as {"audioOutput": {"audio": base64, "format": "wav",
// "sampleRate": N}} messages, the first of an utterance starting with a WAV header, then
// {"finalOutput": {"isFinal": true}}. "stop" or an empty message ends the session. Errors
// take the shape {"error": "<message>"}. Unlike the original, audio streams sentence by
// sentence instead of after the whole message. Runs on one connection strand (see WsSession).

#include <cctype>
#include <deque>

#include "api/base64.h"
#include "api/dto.h"
#include "api/heard.h"
#include "api/text_options.h"
#include "api/ws_sessions.h"
#include "audio/wav.h"
#include "obs/log.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// Audio goes out in pieces of at most this many bytes (before base64).
constexpr std::size_t kAudioPiece = 8192;

// One utterance: its scheduler request, the only code of this protocol that touches one.
class Pending {
 public:
  using State = sched::RequestHandle::State;
  using Clock = std::chrono::steady_clock;
  Pending(Api& api, sched::SynthesisRequest request, std::vector<text::MappedText> segments,
          const std::function<void()>& waker, std::uint64_t n, Clock::time_point at,
          std::size_t text_chars)
      : number(n),
        started(at),
        chars(text_chars),
        engine(request.engine),
        voice(request.voice),
        silence_ms_(api.config().sentence_silence_ms()),
        request_(api.scheduler().submit(std::move(request))) {
    request_.set_waker(waker);
    tracker_.add_segments(std::move(segments));
  }
  // What the client had been handed when the utterance was cut.
  Heard heard() const {
    Heard h = tracker_.heard(delivered_pcm);
    h.audio_seconds_sent = static_cast<double>(delivered_pcm) / 2.0 / sample_rate();
    return h;
  }
  // The request's PCM, with --sentence-silence's zeros after every segment end. The marks
  // also tell the tracker what has been sent, for the log line of a cut utterance.
  State take(std::string& pcm) {
    marks_.clear();
    if (silence_ms_ == 0) {
      const State state = request_.take(pcm, &marks_, 128 * 1024);
      for (const sched::AudioMark& m : marks_) tracker_.mark(m);
      return state;
    }
    raw_.clear();
    const State state = request_.take(raw_, &marks_, 128 * 1024);
    for (const sched::AudioMark& m : marks_) tracker_.mark(m);
    const std::string_view raw = raw_;
    std::size_t pos = 0;
    for (const sched::AudioMark& m : marks_) {
      if (m.kind != sched::AudioMark::Kind::kSegmentEnd) continue;
      const std::size_t at = std::min(m.offset - std::min(m.offset, taken_), raw.size());
      pcm.append(raw.substr(pos, at - pos));
      pcm.append(static_cast<std::size_t>(static_cast<std::int64_t>(silence_ms_) *
                                          request_.sample_rate() / 1000) *
                     2,
                 '\0');
      pos = at;
    }
    pcm.append(raw.substr(pos));
    taken_ += raw.size();
    return state;
  }
  void cancel() { request_.cancel(); }
  int sample_rate() const { return request_.sample_rate(); }
  std::string error() const { return request_.error(); }
  double queue_wait_seconds() const { return request_.queue_wait_seconds(); }

  const std::uint64_t number;
  const Clock::time_point started;
  const std::size_t chars;
  const std::string engine;
  const std::string voice;
  bool header_sent = false;
  std::size_t pcm_bytes = 0;      // PCM put in the outbox (after the header)
  std::size_t delivered_pcm = 0;  // ... and handed to the transport
  std::size_t bytes = 0;          // message bytes sent, JSON and base64 included
  Clock::time_point first_audio{};

 private:
  const int silence_ms_;
  std::string raw_;
  std::vector<sched::AudioMark> marks_;
  std::size_t taken_ = 0;  // PCM bytes taken from the request
  sched::RequestHandle request_;
  HeardTracker tracker_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

class RealtimeTtsSession final : public WsSession {
 public:
  RealtimeTtsSession(Api& api, const HttpRequest& upgrade)
      : api_(api), usage_(upgrade.usage), upgrade_(upgrade) {}
  ~RealtimeTtsSession() override { on_disconnect(); }

  void on_message(std::string_view data, bool binary) override {
    if (ended_) return;
    const std::string_view trimmed = trim(data);
    if (trimmed.empty() || trimmed == "stop") {
      ended_ = true;
      on_disconnect();
      return;
    }
    // Every text message is an utterance, with a line in the log even when refused.
    const auto started = Pending::Clock::now();
    const std::uint64_t n = ++count_;
    try {
      if (binary)
        throw Error(ErrorCode::kBadParameter, "binary messages are not accepted; send text");
      sched::SynthesisRequest req = api_.resolve([](const char*) { return std::nullopt; });
      req.usage = usage_;
      std::vector<text::MappedText> segments =
          prepare_text(api_, data, frontend_options(api_, req, api_.config().text), "text");
      req.segments = segment_texts(segments);
      queue_.emplace_back(api_, std::move(req), std::move(segments), waker_, n, started,
                          text::count_code_points(data));
    } catch (const Error& e) {
      RequestRecord r = utterance_record(upgrade_, n, error_spec(e.code()).http_status,
                                         RequestEnd::kComplete, started);
      r.error = e.code();
      api_.request_done(r);
      error(e.what());
    } catch (const std::exception& e) {
      obs::log_error("/ws: internal error: {}", e.what());
      error("internal error");
    }
  }

  std::optional<WsMessage> poll() override {
    while (outbox_.empty() && !queue_.empty()) {
      Pending& p = queue_.front();
      std::string pcm;
      if (!p.header_sent) pcm = audio::wav_header(p.sample_rate());
      const std::size_t header = pcm.size();
      const auto state = p.take(pcm);
      if (pcm.size() > header) {
        if (!p.header_sent) p.first_audio = Pending::Clock::now();
        p.header_sent = true;
        const std::size_t before = p.pcm_bytes;
        p.pcm_bytes += pcm.size() - header;
        for (std::size_t off = 0; off < pcm.size(); off += kAudioPiece) {
          const std::size_t end = std::min(pcm.size(), off + kAudioPiece);
          json m = {{"audioOutput",
                     {{"audio", base64(std::string_view(pcm).substr(off, end - off))},
                      {"format", "wav"},
                      {"sampleRate", p.sample_rate()}}}};
          outbox_.push_back(
              Outgoing{WsMessage{false, dump_json(m)}, p.number, before + end - header});
          p.bytes += outbox_.back().message.data.size();
        }
      }
      if (state == Pending::State::kEnd) {
        outbox_.push_back(
            Outgoing{WsMessage{false, dump_json({{"finalOutput", {{"isFinal", true}}}})}});
        record(p, RequestEnd::kComplete);
        queue_.pop_front();
      } else if (state == Pending::State::kFailed) {
        error(p.error());
        record(p, RequestEnd::kFailed);
        queue_.pop_front();
      } else if (state == Pending::State::kPending) {
        break;
      }
    }
    if (outbox_.empty()) return std::nullopt;
    Outgoing m = std::move(outbox_.front());
    outbox_.pop_front();
    // The transport writes what it is given: the client now has this audio.
    if (m.utterance != 0)
      for (Pending& p : queue_)
        if (p.number == m.utterance) p.delivered_pcm = m.pcm_end;
    return std::move(m.message);
  }

  bool finished() const override { return ended_ && outbox_.empty(); }
  Clock::time_point deadline() const override { return Clock::time_point::max(); }
  void set_waker(std::function<void()> waker) override { waker_ = std::move(waker); }
  void on_disconnect() override {
    const RequestEnd end = api_.cutting() ? RequestEnd::kShutdown : RequestEnd::kClientGone;
    for (Pending& p : queue_) {
      p.cancel();
      record(p, end);
    }
    queue_.clear();
  }
  bool idle() const override { return queue_.empty() && outbox_.empty(); }

 private:
  void record(const Pending& p, RequestEnd end) {
    int status = 200;
    if (end == RequestEnd::kFailed) status = 500;
    if (end == RequestEnd::kShutdown) status = 503;
    if (end == RequestEnd::kClientGone) status = 499;
    RequestRecord r = utterance_record(upgrade_, p.number, status, end, p.started);
    if (end == RequestEnd::kFailed) r.error = ErrorCode::kEngineFailed;
    r.bytes = p.bytes;
    r.engine = p.engine;
    r.voice = p.voice;
    r.format = "wav";
    r.sample_rate = p.sample_rate();
    r.chars = p.chars;
    r.audio_seconds = static_cast<double>(p.pcm_bytes) / 2.0 / p.sample_rate();
    if (p.first_audio != Pending::Clock::time_point{})
      r.first_audio_seconds = std::chrono::duration<double>(p.first_audio - p.started).count();
    if (const double wait = p.queue_wait_seconds(); wait >= 0) r.queue_wait_seconds = wait;
    if (end == RequestEnd::kClientGone || end == RequestEnd::kShutdown) r.heard = p.heard();
    api_.request_done(r);
  }

  // The protocol's error shape: {"error": message}.
  void error(const std::string& message) {
    outbox_.push_back(Outgoing{WsMessage{false, dump_json({{"error", message}})}});
  }

  Api& api_;
  std::shared_ptr<UsageMeter> usage_;  // the API key's account, charged per message
  const HttpRequest upgrade_;
  std::uint64_t count_ = 0;
  std::deque<Pending> queue_;
  // A message ready for the transport; an audio message also says how far the client has got
  // in its utterance's PCM once it is written.
  struct Outgoing {
    WsMessage message;
    std::uint64_t utterance = 0;  // 0: not audio
    std::size_t pcm_end = 0;
  };
  std::deque<Outgoing> outbox_;
  std::function<void()> waker_;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<WsSession> make_realtimetts_session(Api& api, const HttpRequest& upgrade) {
  return std::make_unique<RealtimeTtsSession>(api, upgrade);
}

}  // namespace lector::api
