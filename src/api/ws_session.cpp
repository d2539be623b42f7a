// WebSocket sessions: the native streaming protocol (/v1/stream) and RealtimeTTS's /ws.
// Both run on one connection strand (see WsSession in api.h) and drive the scheduler through
// AudioStreams; nothing here sees the transport.

#include <cctype>
#include <deque>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_util.h"
#include "api/query.h"
#include "audio/wav.h"
#include "core/error.h"
#include "obs/log.h"
#include "text/incremental.h"
#include "text/segmenter.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Audio goes out in pieces of at most this many bytes, so a cancel stops it within one piece
// (about 0.19 s at 22050 Hz).
constexpr std::size_t kAudioPiece = 8192;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = byte(i) << 16;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += '=';
  }
  return out;
}

// `count` code points of UTF-8 `s` from code point `first` (clamped to the string).
std::string code_point_substr(std::string_view s, std::size_t first, std::size_t count) {
  auto advance = [&](std::size_t pos, std::size_t n) {
    while (n > 0 && pos < s.size()) {
      ++pos;
      while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) ++pos;
      --n;
    }
    return pos;
  };
  const std::size_t begin = advance(0, first);
  return std::string(s.substr(begin, advance(begin, count) - begin));
}

// One utterance in flight: a scheduler request and what has been sent of it.
struct Utterance {
  std::uint64_t number = 0;
  sched::RequestHandle stream;
  std::vector<std::string> segments;  // texts, by segment index
  std::size_t sent_bytes = 0;         // PCM bytes handed to the client
  bool announced = false;
  Clock::time_point first_text{};
  Clock::time_point first_audio{};
};

// The native protocol. Client -> server: JSON text messages
//   {"type":"config", "engine", "voice", "speed", "pitch", "volume"}  (all optional)
//   {"type":"text", "text": "..."}   a fragment, any size (an LLM token, a sentence, ...)
//   {"type":"flush"}                 the utterance's text is complete
//   {"type":"cancel"}                barge-in: stop all audio now, drop queued text
//   {"type":"end"}                   flush, send what remains, then close
// Server -> client: JSON events and binary PCM (s16le mono at the utterance's sample rate):
//   utterance_start, segment_start, <binary audio>, segment_done, done, cancelled, error.
class StreamSession final : public WsSession {
 public:
  explicit StreamSession(Api& api) : api_(api) {
    config_ = api_.resolve([](const char*) { return std::nullopt; });
  }

  ~StreamSession() override { on_disconnect(); }

  void on_message(std::string_view data, bool binary) override {
    try {
      handle(data, binary);
    } catch (const Error& e) {
      error(e.code() == ErrorCode::kBadParameter ? "bad_parameter" : to_string(e.code()), e.what());
    }
  }

  std::optional<WsMessage> poll() override {
    if (segmenter_ && quiet_deadline_ <= Clock::now()) {
      quiet_deadline_ = Clock::time_point::max();
      append(segmenter_->on_quiet());
    }
    if (outbox_.empty()) refill();
    if (outbox_.empty()) return std::nullopt;
    WsMessage m = std::move(outbox_.front());
    outbox_.pop_front();
    return m;
  }

  bool finished() const override { return ended_ && utterances_.empty() && outbox_.empty(); }
  Clock::time_point deadline() const override { return quiet_deadline_; }

  void set_waker(std::function<void()> waker) override { waker_ = std::move(waker); }

  void on_disconnect() override {
    for (Utterance& u : utterances_) u.stream.cancel();
    utterances_.clear();
    open_ = nullptr;
  }

 private:
  void handle(std::string_view data, bool binary) {
    if (binary)
      throw Error(ErrorCode::kBadParameter, "binary messages are not accepted; send JSON text");
    if (!text::is_valid_utf8(data))
      throw Error(ErrorCode::kBadParameter, "message is not valid UTF-8");
    json msg = json::parse(data, nullptr, false);
    if (msg.is_discarded() || !msg.is_object())
      throw Error(ErrorCode::kBadParameter, "message is not a JSON object");
    auto type_it = msg.find("type");
    if (type_it == msg.end() || !type_it->is_string())
      throw Error(ErrorCode::kBadParameter, "message has no string field 'type'");
    const std::string type = *type_it;
    if (ended_) throw Error(ErrorCode::kBadParameter, "message '" + type + "' after 'end'");

    if (type == "config") {
      sched::SynthesisRequest next = api_.resolve(json_params(msg));
      config_ = std::move(next);
      // A new voice may mean a new language for segmentation; pending text keeps the old one.
      if (segmenter_ && segmenter_->pending_chars() == 0) segmenter_.reset();
      push_event({{"type", "config"},
                  {"engine", config_.engine},
                  {"voice", config_.voice},
                  {"speed", config_.params.speed},
                  {"pitch", config_.params.pitch},
                  {"volume", config_.params.volume}});
    } else if (type == "text") {
      auto t = msg.find("text");
      if (t == msg.end() || !t->is_string()) throw bad_parameter("text", "missing or not a string");
      const std::string fragment = *t;
      if (!segmenter_) {
        text::IncrementalOptions options;
        options.segmenter = api_.config().segmenter;
        segmenter_.emplace(api_.language_of(config_), options);
      }
      pending_text_chars_ += text::count_code_points(fragment);
      if (pending_text_chars_ > api_.config().max_text_chars)
        throw bad_parameter("text", "utterance too long: over " +
                                        std::to_string(api_.config().max_text_chars) +
                                        " characters; send a flush between utterances");
      if (!open_ && !first_text_set_) {
        first_text_ = Clock::now();
        first_text_set_ = true;
      }
      append(segmenter_->feed(fragment));
      quiet_deadline_ = segmenter_->pending_chars() > 0 ? Clock::now() + api_.config().quiet_flush
                                                        : Clock::time_point::max();
    } else if (type == "flush") {
      flush();
    } else if (type == "cancel") {
      std::uint64_t last = 0;
      for (Utterance& u : utterances_) {
        u.stream.cancel();
        last = u.number;
      }
      utterances_.clear();
      open_ = nullptr;
      outbox_.clear();  // audio not yet written never reaches the client
      if (segmenter_) segmenter_->reset();
      pending_text_chars_ = 0;
      first_text_set_ = false;
      quiet_deadline_ = Clock::time_point::max();
      push_event({{"type", "cancelled"}, {"utterance", last}});
    } else if (type == "end") {
      flush();
      ended_ = true;
    } else {
      throw Error(ErrorCode::kBadParameter, "unknown message type '" + type + "'");
    }
  }

  void flush() {
    if (segmenter_) append(segmenter_->flush());
    quiet_deadline_ = Clock::time_point::max();
    pending_text_chars_ = 0;
    if (open_) {
      open_->stream.close();
      open_ = nullptr;
    }
  }

  // Sends confirmed segments to the scheduler, opening an utterance if none is open.
  void append(std::vector<std::string> segments) {
    if (segments.empty()) return;
    if (!open_) {
      sched::SynthesisRequest req = config_;
      req.open = true;
      Utterance u;
      u.number = ++utterance_count_;
      u.first_text = first_text_set_ ? first_text_ : Clock::now();
      first_text_set_ = false;
      u.stream = api_.scheduler().submit(std::move(req));
      u.stream.set_waker(waker_);
      utterances_.push_back(std::move(u));
      open_ = &utterances_.back();
    }
    for (const std::string& s : segments) open_->segments.push_back(s);
    open_->stream.append(std::move(segments));
  }

  // Moves what the front utterance has ready into the outbox, in order: events at their
  // audio positions, audio in pieces.
  void refill() {
    while (!utterances_.empty() && outbox_.empty()) {
      Utterance& u = utterances_.front();
      if (!u.announced) {
        u.announced = true;
        push_event({{"type", "utterance_start"},
                    {"utterance", u.number},
                    {"sample_rate", u.stream.sample_rate()},
                    {"encoding", "pcm_s16le"},
                    {"channels", 1}});
      }
      std::string pcm;
      std::vector<sched::AudioMark> marks;
      const auto state = u.stream.take(pcm, &marks, 128 * 1024);
      std::size_t pos = 0;                    // in pcm
      const std::size_t base = u.sent_bytes;  // offset of pcm[0] in the utterance's audio
      for (const sched::AudioMark& m : marks) {
        const std::size_t at = m.offset - base;
        if (at > pos) push_audio(u, std::string_view(pcm).substr(pos, at - pos));
        pos = std::max(pos, at);
        if (m.kind == sched::AudioMark::Kind::kWord) {
          const std::string& text = m.segment < u.segments.size() ? u.segments[m.segment] : "";
          push_event({{"type", "word"},
                      {"utterance", u.number},
                      {"segment", m.segment},
                      {"text", code_point_substr(text, m.text_offset, m.text_length)},
                      {"audio_offset_seconds", seconds(u, m.offset)}});
        } else if (m.kind == sched::AudioMark::Kind::kSegmentStart) {
          push_event({{"type", "segment_start"},
                      {"utterance", u.number},
                      {"index", m.segment},
                      {"text", m.segment < u.segments.size() ? u.segments[m.segment] : ""}});
        } else {
          push_event({{"type", "segment_done"},
                      {"utterance", u.number},
                      {"index", m.segment},
                      {"audio_offset_seconds", seconds(u, m.offset)}});
        }
      }
      if (pos < pcm.size()) push_audio(u, std::string_view(pcm).substr(pos));

      if (state == sched::RequestHandle::State::kEnd) {
        const double audio_s = seconds(u, u.sent_bytes);
        const double wall_s = std::chrono::duration<double>(Clock::now() - u.first_text).count();
        push_event({{"type", "done"},
                    {"utterance", u.number},
                    {"segments", u.segments.size()},
                    {"audio_seconds", audio_s},
                    {"time_to_first_audio_ms",
                     u.first_audio == Clock::time_point{}
                         ? -1.0
                         : std::chrono::duration<double, std::milli>(u.first_audio - u.first_text)
                               .count()},
                    {"real_time_factor", audio_s > 0 ? wall_s / audio_s : 0.0}});
        utterances_.pop_front();
      } else if (state == sched::RequestHandle::State::kFailed) {
        error("synthesis_failed", u.stream.error());
        if (open_ == &u) open_ = nullptr;
        utterances_.pop_front();
      } else {
        return;
      }
    }
  }

  static double seconds(const Utterance& u, std::size_t bytes) {
    return static_cast<double>(bytes) / 2.0 / u.stream.sample_rate();
  }

  void push_audio(Utterance& u, std::string_view pcm) {
    if (u.first_audio == Clock::time_point{}) u.first_audio = Clock::now();
    u.sent_bytes += pcm.size();
    for (std::size_t off = 0; off < pcm.size(); off += kAudioPiece)
      outbox_.push_back(WsMessage{true, std::string(pcm.substr(off, kAudioPiece))});
  }

  void push_event(const json& j) { outbox_.push_back(WsMessage{false, dump_json(j)}); }
  void error(const std::string& code, const std::string& message) {
    push_event({{"type", "error"}, {"code", code}, {"message", message}});
  }

  Api& api_;
  sched::SynthesisRequest config_;
  std::optional<text::IncrementalSegmenter> segmenter_;
  std::deque<Utterance> utterances_;
  // The utterance still taking text (the back of utterances_), if any. A deque keeps
  // pointers to its elements valid across push_back and pop_front of others.
  Utterance* open_ = nullptr;
  std::deque<WsMessage> outbox_;
  std::function<void()> waker_;
  std::uint64_t utterance_count_ = 0;
  std::size_t pending_text_chars_ = 0;
  Clock::time_point quiet_deadline_ = Clock::time_point::max();
  Clock::time_point first_text_{};
  bool first_text_set_ = false;
  bool ended_ = false;
};

// RealtimeTTS's WebSocket protocol (example_fast_api/async_server.py): each text message is
// one utterance; audio comes back as {"audioOutput": {"audio": base64, "format": "wav",
// "sampleRate": N}} messages, the first of an utterance starting with a WAV header, then
// {"finalOutput": {"isFinal": true}}. "stop" or an empty message ends the session. Unlike the
// original, audio streams sentence by sentence instead of after the whole message.
class RealtimeTtsSession final : public WsSession {
 public:
  explicit RealtimeTtsSession(Api& api) : api_(api) {}
  ~RealtimeTtsSession() override { on_disconnect(); }

  void on_message(std::string_view data, bool binary) override {
    if (ended_) return;
    std::string_view trimmed = data;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
      trimmed.remove_prefix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
      trimmed.remove_suffix(1);
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
      req.segments = text::split_segments(clean, api_.language_of(req), api_.config().segmenter);
      if (req.segments.empty()) throw bad_parameter("text", "has nothing to speak");
      Pending p;
      p.stream = api_.scheduler().submit(std::move(req));
      p.stream.set_waker(waker_);
      queue_.push_back(std::move(p));
    } catch (const Error& e) {
      outbox_.push_back(WsMessage{false, dump_json({{"error", e.what()}})});
    }
  }

  std::optional<WsMessage> poll() override {
    while (outbox_.empty() && !queue_.empty()) {
      Pending& p = queue_.front();
      std::string pcm;
      if (!p.header_sent) pcm = audio::wav_header(p.stream.sample_rate());
      const std::size_t header = pcm.size();
      const auto state = p.stream.take(pcm, nullptr, 128 * 1024);
      if (pcm.size() > header) {
        p.header_sent = true;
        for (std::size_t off = 0; off < pcm.size(); off += kAudioPiece) {
          json m = {{"audioOutput",
                     {{"audio", base64(std::string_view(pcm).substr(off, kAudioPiece))},
                      {"format", "wav"},
                      {"sampleRate", p.stream.sample_rate()}}}};
          outbox_.push_back(WsMessage{false, dump_json(m)});
        }
      }
      if (state == sched::RequestHandle::State::kEnd) {
        outbox_.push_back(WsMessage{false, dump_json({{"finalOutput", {{"isFinal", true}}}})});
        queue_.pop_front();
      } else if (state == sched::RequestHandle::State::kFailed) {
        outbox_.push_back(WsMessage{false, dump_json({{"error", p.stream.error()}})});
        queue_.pop_front();
      } else if (state == sched::RequestHandle::State::kPending) {
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
    for (Pending& p : queue_) p.stream.cancel();
    queue_.clear();
  }

 private:
  struct Pending {
    sched::RequestHandle stream;
    bool header_sent = false;
  };
  Api& api_;
  std::deque<Pending> queue_;
  std::deque<WsMessage> outbox_;
  std::function<void()> waker_;
  bool ended_ = false;
};

}  // namespace

std::variant<std::unique_ptr<WsSession>, Response> Api::open_websocket(const HttpRequest& request) {
  try {
    const Target t = parse_target(request.target);
    if (t.path == "/v1/stream") return std::unique_ptr<WsSession>(new StreamSession(*this));
    if (t.path == "/ws") return std::unique_ptr<WsSession>(new RealtimeTtsSession(*this));
    return error_response(404, "no WebSocket route '" + t.path.substr(0, 64) + "'");
  } catch (const Error& e) {
    return error_response(e.code() == ErrorCode::kBadParameter ? 400 : 500, e.what());
  }
}

}  // namespace lector::api
