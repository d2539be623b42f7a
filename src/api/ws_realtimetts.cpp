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
#include "api/ws_sessions.h"
#include "audio/wav.h"
#include "obs/log.h"

namespace lector::api {
namespace {

using json = nlohmann::json;

// Audio goes out in pieces of at most this many bytes (before base64).
constexpr std::size_t kAudioPiece = 8192;

// One utterance: its scheduler request, the only code of this protocol that touches one.
class Pending {
 public:
  using State = sched::RequestHandle::State;
  Pending(Api& api, sched::SynthesisRequest request, const std::function<void()>& waker)
      : request_(api.scheduler().submit(std::move(request))) {
    request_.set_waker(waker);
  }
  State take(std::string& pcm) { return request_.take(pcm, nullptr, 128 * 1024); }
  void cancel() { request_.cancel(); }
  int sample_rate() const { return request_.sample_rate(); }
  std::string error() const { return request_.error(); }

  bool header_sent = false;

 private:
  sched::RequestHandle request_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

class RealtimeTtsSession final : public WsSession {
 public:
  RealtimeTtsSession(Api& api, std::shared_ptr<UsageMeter> usage)
      : api_(api), usage_(std::move(usage)) {}
  ~RealtimeTtsSession() override { on_disconnect(); }

  void on_message(std::string_view data, bool binary) override {
    if (ended_) return;
    const std::string_view trimmed = trim(data);
    if (trimmed.empty() || trimmed == "stop") {
      ended_ = true;
      on_disconnect();
      return;
    }
    try {
      if (binary)
        throw Error(ErrorCode::kBadParameter, "binary messages are not accepted; send text");
      const std::string clean = api_.clean_text(data);
      sched::SynthesisRequest req = api_.resolve([](const char*) { return std::nullopt; });
      req.usage = usage_;
      req.segments = text::split_segments(clean, api_.language_of(req), api_.config().segmenter);
      if (req.segments.empty()) throw bad_parameter("text", "has nothing to speak");
      queue_.emplace_back(api_, std::move(req), waker_);
    } catch (const Error& e) {
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
        p.header_sent = true;
        for (std::size_t off = 0; off < pcm.size(); off += kAudioPiece) {
          json m = {{"audioOutput",
                     {{"audio", base64(std::string_view(pcm).substr(off, kAudioPiece))},
                      {"format", "wav"},
                      {"sampleRate", p.sample_rate()}}}};
          outbox_.push_back(WsMessage{false, dump_json(m)});
        }
      }
      if (state == Pending::State::kEnd) {
        outbox_.push_back(WsMessage{false, dump_json({{"finalOutput", {{"isFinal", true}}}})});
        queue_.pop_front();
      } else if (state == Pending::State::kFailed) {
        error(p.error());
        queue_.pop_front();
      } else if (state == Pending::State::kPending) {
        break;
      }
    }
    if (outbox_.empty()) return std::nullopt;
    WsMessage m = std::move(outbox_.front());
    outbox_.pop_front();
    return m;
  }

  bool finished() const override { return ended_ && outbox_.empty(); }
  Clock::time_point deadline() const override { return Clock::time_point::max(); }
  void set_waker(std::function<void()> waker) override { waker_ = std::move(waker); }
  void on_disconnect() override {
    for (Pending& p : queue_) p.cancel();
    queue_.clear();
  }

 private:
  // The protocol's error shape: {"error": message}.
  void error(const std::string& message) {
    outbox_.push_back(WsMessage{false, dump_json({{"error", message}})});
  }

  Api& api_;
  std::shared_ptr<UsageMeter> usage_;  // the API key's account, charged per message
  std::deque<Pending> queue_;
  std::deque<WsMessage> outbox_;
  std::function<void()> waker_;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<WsSession> make_realtimetts_session(Api& api, std::shared_ptr<UsageMeter> usage) {
  return std::make_unique<RealtimeTtsSession>(api, std::move(usage));
}

}  // namespace lector::api
