// Kept whole, past ~450 lines: one protocol's session and its utterance bookkeeping (segments,
// marks, encoding, silences, records) read best together; the class has no other user.

// The native streaming protocol, /v1/stream. Client -> server: JSON text messages
//   {"type":"config", "engine", "voice", "speed", "pitch", "volume", "format", "sample_rate",
//    "sentence_silence"}
//                                    (all optional; format pcm and the voice's rate by default)
//   {"type":"text", "text": "..."}   a fragment, any size (an LLM token, a sentence, ...)
//   {"type":"flush"}                 the utterance's text is complete
//   {"type":"cancel"}                barge-in: stop all audio now, drop queued text
//   {"type":"end"}                   flush, send what remains, then close
// Server -> client: JSON events and binary audio (raw s16le mono PCM by default; with a format,
// each utterance is one stream of that format, e.g. one Ogg Opus stream, split over messages):
//   config, utterance_start, segment_start, word, <binary audio>, segment_done, done,
//   cancelled, and error {"type":"error","code","message"} (codes from core/error.h's table).
// Runs on one connection strand (see WsSession); nothing here sees the transport.

#include <cmath>
#include <deque>

#include "api/dto.h"
#include "api/output.h"
#include "api/ws_sessions.h"
#include "audio/transcoder.h"
#include "obs/log.h"
#include "text/incremental.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Audio goes out in pieces of at most this many bytes, so a cancel stops it within one piece
// (about 0.19 s at 22050 Hz).
constexpr std::size_t kAudioPiece = 8192;

// One utterance in flight: its scheduler request and what has been sent of it. The only
// code of this protocol that touches a scheduler request.
class Utterance {
 public:
  using State = sched::RequestHandle::State;
  Utterance(Api& api, sched::SynthesisRequest request, const OutputSpec& output,
            const std::function<void()>& waker, std::uint64_t n, Clock::time_point text_at,
            int silence)
      : number(n),
        silence_ms(silence),
        first_text(text_at),
        engine(request.engine),
        voice(request.voice) {
    request.open = true;
    request_ = api.scheduler().submit(std::move(request));
    request_.set_waker(waker);
    const int rate = output.sample_rate != 0 ? output.sample_rate : request_.sample_rate();
    if (output.format != audio::Format::kPcm || rate != request_.sample_rate())
      transcoder_.emplace(request_.sample_rate(), output.format, rate);
  }
  // The audio as the client asked for it: `pcm` encoded (appended to `out`), and the rest of
  // the stream at the end.
  void encode(std::string_view pcm, std::string& out) {
    if (transcoder_) {
      transcoder_->write(pcm, out);
    } else {
      out.append(pcm);
    }
  }
  void finish(std::string& out) {
    if (transcoder_) transcoder_->finish(out);
  }
  int output_rate() const { return transcoder_ ? transcoder_->out_rate() : request_.sample_rate(); }
  const char* encoding() const {
    return transcoder_ && transcoder_->format() != audio::Format::kPcm
               ? audio::to_string(transcoder_->format())
               : "pcm_s16le";
  }
  void append(std::vector<std::string> texts) {
    for (const std::string& s : texts) segments.push_back(s);
    request_.append(std::move(texts));
  }
  void close() { request_.close(); }
  void cancel() { request_.cancel(); }
  State take(std::string& pcm, std::vector<sched::AudioMark>& marks) {
    return request_.take(pcm, &marks, 128 * 1024);
  }
  int sample_rate() const { return request_.sample_rate(); }
  std::string error() const { return request_.error(); }
  double seconds(std::size_t bytes) const {
    return static_cast<double>(bytes) / 2.0 / request_.sample_rate();
  }
  // Where `offset` of the request's audio lies in what the client hears: after the silences
  // sent so far.
  double heard_seconds(std::size_t offset) const { return seconds(offset + silence_bytes); }
  std::size_t silence_piece() const {
    return static_cast<std::size_t>(static_cast<std::int64_t>(silence_ms) * request_.sample_rate() /
                                    1000) *
           2;
  }
  std::string segment_text(std::size_t i) const { return i < segments.size() ? segments[i] : ""; }
  double queue_wait_seconds() const { return request_.queue_wait_seconds(); }

  const std::uint64_t number;
  const int silence_ms;               // sentence_silence: zeros after each segment end
  std::size_t silence_bytes = 0;      // zeros handed to the client
  std::vector<std::string> segments;  // texts, by segment index
  std::size_t sent_bytes = 0;         // PCM bytes of the request handed to the client
  std::size_t encoded_bytes = 0;      // bytes of audio messages, as the client gets them
  bool announced = false;
  const Clock::time_point first_text;
  Clock::time_point first_audio{};
  const std::string engine;
  const std::string voice;

 private:
  sched::RequestHandle request_;
  std::optional<audio::Transcoder> transcoder_;  // none for native-rate PCM
};

class StreamSession final : public WsSession {
 public:
  StreamSession(Api& api, const HttpRequest& upgrade)
      : api_(api), usage_(upgrade.usage), upgrade_(upgrade) {
    config_ = api_.resolve([](const char*) { return std::nullopt; });
    silence_ms_ = api_.config().sentence_silence_ms();
    config_.usage = usage_;
    config_language_ = api_.language_of(config_);
    output_.format = audio::Format::kPcm;
  }
  ~StreamSession() override { on_disconnect(); }

  void on_message(std::string_view data, bool binary) override {
    on_message_errors([&] { handle(data, binary); });
  }

  // Runs `body`, turning what it throws into an error event.
  template <typename F>
  void on_message_errors(F&& body) {
    try {
      body();
    } catch (const Error& e) {
      error(e.code(), e.what());
    } catch (const std::exception& e) {
      obs::log_error("/v1/stream: internal error: {}", e.what());
      error(ErrorCode::kInternal, "internal error");
    }
  }

  std::optional<WsMessage> poll() override {
    if (segmenter_ && quiet_deadline_ <= Clock::now()) {
      quiet_deadline_ = Clock::time_point::max();
      // Submitting may be refused (overloaded): an error event, as for a text message.
      on_message_errors([&] { append(segmenter_->on_quiet()); });
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
    const RequestEnd end = api_.cutting() ? RequestEnd::kShutdown : RequestEnd::kClientGone;
    for (Utterance& u : utterances_) {
      u.cancel();
      record(u, end);
    }
    utterances_.clear();
    open_ = nullptr;
  }
  bool idle() const override { return utterances_.empty() && outbox_.empty(); }

 private:
  void handle(std::string_view data, bool binary) {
    if (binary)
      throw Error(ErrorCode::kBadParameter, "binary messages are not accepted; send JSON text");
    if (!text::is_valid_utf8(data))
      throw Error(ErrorCode::kBadEncoding, "message is not valid UTF-8");
    json msg = json::parse(data, nullptr, false);
    if (msg.is_discarded() || !msg.is_object())
      throw Error(ErrorCode::kBadParameter, "message is not a JSON object");
    auto type_it = msg.find("type");
    if (type_it == msg.end() || !type_it->is_string())
      throw Error(ErrorCode::kBadParameter, "message has no string field 'type'");
    const std::string type = *type_it;
    if (ended_) throw Error(ErrorCode::kBadParameter, "message '" + type + "' after 'end'");

    if (type == "config") {
      configure(msg);
    } else if (type == "text") {
      auto t = msg.find("text");
      if (t == msg.end() || !t->is_string()) throw bad_parameter("text", "missing or not a string");
      text(t->get<std::string>());
    } else if (type == "flush") {
      flush();
    } else if (type == "cancel") {
      cancel();
    } else if (type == "end") {
      flush();
      ended_ = true;
    } else {
      throw Error(ErrorCode::kBadParameter, "unknown message type '" + type + "'");
    }
  }

  void configure(const json& msg) {
    const ParamLookup params = json_params(msg);
    sched::SynthesisRequest next = api_.resolve(params);
    const OutputSpec output = output_params(params, OutputSpec{audio::Format::kPcm, 0});
    const sched::EngineInfo* info = api_.scheduler().engine(next.engine);
    const VoiceInfo* voice = info != nullptr ? info->find_voice(next.voice) : nullptr;
    if (voice != nullptr) check_output_rate(output, info->rate_of(*voice));
    silence_ms_ = sentence_silence_param(params, api_.config().sentence_silence);
    config_ = std::move(next);
    config_.usage = usage_;
    output_ = output;
    config_language_ = api_.language_of(config_);
    push_event({{"type", "config"},
                {"engine", config_.engine},
                {"voice", config_.voice},
                {"speed", config_.params.speed},
                {"pitch", config_.params.pitch},
                {"volume", config_.params.volume},
                {"format", audio::to_string(output_.format)},
                {"sentence_silence", silence_ms_ / 1000.0},
                {"sample_rate", output_.sample_rate != 0
                                    ? json(output_.sample_rate)
                                    : json(voice != nullptr ? info->rate_of(*voice) : 0)}});
  }

  void text(const std::string& fragment) {
    // A new voice may mean a new language for segmentation: the segmenter follows it once
    // its pending text is spoken (text already pending keeps the language it began with).
    if (segmenter_ && segmenter_->pending_chars() == 0 && segmenter_language_ != config_language_)
      segmenter_.reset();
    if (!segmenter_) {
      text::IncrementalOptions options;
      options.segmenter = api_.config().segmenter;
      // A pause after the early first fragment would fall mid-sentence.
      if (silence_ms_ > 0) options.segmenter.first_fragment_min_words = 0;
      segmenter_.emplace(config_language_, options);
      segmenter_language_ = config_language_;
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
  }

  void cancel() {
    std::uint64_t last = 0;
    for (Utterance& u : utterances_) {
      u.cancel();
      record(u, RequestEnd::kBargeIn);
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
  }

  void flush() {
    if (segmenter_) append(segmenter_->flush());
    quiet_deadline_ = Clock::time_point::max();
    pending_text_chars_ = 0;
    if (open_) {
      open_->close();
      open_ = nullptr;
    }
  }

  // Sends confirmed segments to the scheduler, opening an utterance if none is open.
  void append(std::vector<std::string> segments) {
    if (segments.empty()) return;
    if (!open_) {
      const Clock::time_point started = first_text_set_ ? first_text_ : Clock::now();
      try {
        utterances_.emplace_back(api_, config_, output_, waker_, ++utterance_count_, started,
                                 silence_ms_);
      } catch (const Error& e) {
        // Refused (overloaded, shutting down): an utterance that never started, still one
        // line in the log and a rejection in the metrics.
        RequestRecord r =
            utterance_record(upgrade_, utterance_count_, error_spec(e.code()).http_status,
                             RequestEnd::kComplete, started);
        r.error = e.code();
        api_.request_done(r);
        throw;
      }
      first_text_set_ = false;
      open_ = &utterances_.back();
    }
    open_->append(std::move(segments));
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
                    {"sample_rate", u.output_rate()},
                    {"encoding", u.encoding()},
                    {"channels", 1}});
      }
      std::string pcm;
      std::vector<sched::AudioMark> marks;
      const auto state = u.take(pcm, marks);
      std::size_t pos = 0;                    // in pcm
      const std::size_t base = u.sent_bytes;  // offset of pcm[0] in the utterance's audio
      for (const sched::AudioMark& m : marks) {
        const std::size_t at = m.offset - base;
        if (at > pos) push_audio(u, std::string_view(pcm).substr(pos, at - pos));
        pos = std::max(pos, at);
        push_mark(u, m);
      }
      if (pos < pcm.size()) push_audio(u, std::string_view(pcm).substr(pos));

      if (state == Utterance::State::kEnd) {
        std::string tail;
        u.finish(tail);
        u.encoded_bytes += tail.size();
        push_encoded(tail);
        push_done(u);
        record(u, RequestEnd::kComplete);
        utterances_.pop_front();
      } else if (state == Utterance::State::kFailed) {
        error(ErrorCode::kEngineFailed, u.error());
        record(u, RequestEnd::kFailed);
        if (open_ == &u) open_ = nullptr;
        utterances_.pop_front();
      } else {
        return;
      }
    }
  }

  void push_mark(Utterance& u, const sched::AudioMark& m) {
    if (m.kind == sched::AudioMark::Kind::kWord) {
      push_event({{"type", "word"},
                  {"utterance", u.number},
                  {"segment", m.segment},
                  {"text", std::string(text::utf8_substr(u.segment_text(m.segment), m.text_offset,
                                                         m.text_length))},
                  {"audio_offset_seconds", u.heard_seconds(m.offset)}});
    } else if (m.kind == sched::AudioMark::Kind::kSegmentStart) {
      push_event({{"type", "segment_start"},
                  {"utterance", u.number},
                  {"index", m.segment},
                  {"text", u.segment_text(m.segment)}});
    } else {
      push_event({{"type", "segment_done"},
                  {"utterance", u.number},
                  {"index", m.segment},
                  {"audio_offset_seconds", u.heard_seconds(m.offset)}});
      if (u.silence_ms > 0) push_silence(u);
    }
  }

  // sentence_silence after a segment: zeros at the utterance's rate, through its encoder.
  void push_silence(Utterance& u) {
    const std::string zeros(u.silence_piece(), '\0');
    u.silence_bytes += zeros.size();
    encoded_.clear();
    u.encode(zeros, encoded_);
    push_encoded(encoded_);
  }

  void push_done(const Utterance& u) {
    const double audio_s = u.seconds(u.sent_bytes + u.silence_bytes);
    const double wall_s = std::chrono::duration<double>(Clock::now() - u.first_text).count();
    const double ttfa_ms =
        u.first_audio == Clock::time_point{}
            ? -1.0
            : std::chrono::duration<double, std::milli>(u.first_audio - u.first_text).count();
    push_event({{"type", "done"},
                {"utterance", u.number},
                {"segments", u.segments.size()},
                {"audio_seconds", audio_s},
                {"time_to_first_audio_ms", ttfa_ms},
                {"real_time_factor", audio_s > 0 ? wall_s / audio_s : 0.0}});
  }

  void push_audio(Utterance& u, std::string_view pcm) {
    if (u.first_audio == Clock::time_point{}) u.first_audio = Clock::now();
    u.sent_bytes += pcm.size();
    encoded_.clear();
    u.encode(pcm, encoded_);
    u.encoded_bytes += encoded_.size();
    push_encoded(encoded_);
  }

  // The utterance is over: its log line and metrics.
  void record(const Utterance& u, RequestEnd end) {
    int status = 200;
    if (end == RequestEnd::kFailed) status = 500;
    if (end == RequestEnd::kShutdown) status = 503;
    if (end == RequestEnd::kClientGone || end == RequestEnd::kBargeIn) status = 499;
    RequestRecord r = utterance_record(upgrade_, u.number, status, end, u.first_text);
    if (end == RequestEnd::kFailed) r.error = ErrorCode::kEngineFailed;
    r.bytes = u.encoded_bytes;
    r.engine = u.engine;
    r.voice = u.voice;
    r.format = u.encoding();
    r.sample_rate = u.output_rate();
    r.audio_seconds = u.seconds(u.sent_bytes);
    if (u.first_audio != Clock::time_point{})
      r.first_audio_seconds = std::chrono::duration<double>(u.first_audio - u.first_text).count();
    if (const double wait = u.queue_wait_seconds(); wait >= 0) r.queue_wait_seconds = wait;
    api_.request_done(r);
  }

  void push_encoded(std::string_view bytes) {
    for (std::size_t off = 0; off < bytes.size(); off += kAudioPiece)
      outbox_.push_back(WsMessage{true, std::string(bytes.substr(off, kAudioPiece))});
  }

  void push_event(const json& j) { outbox_.push_back(WsMessage{false, dump_json(j)}); }
  // The protocol's error shape: {"type":"error","code","message"}.
  void error(ErrorCode code, const std::string& message) {
    push_event({{"type", "error"}, {"code", to_string(code)}, {"message", message}});
  }

  Api& api_;
  std::shared_ptr<UsageMeter> usage_;  // the API key's account, charged per utterance
  const HttpRequest upgrade_;
  sched::SynthesisRequest config_;
  OutputSpec output_;
  std::string encoded_;  // scratch for push_audio
  std::optional<text::IncrementalSegmenter> segmenter_;
  std::string segmenter_language_;  // the language segmenter_ was built for
  std::string config_language_;     // the language of config_'s voice
  std::deque<Utterance> utterances_;
  // The utterance still taking text (the back of utterances_), if any. A deque keeps
  // pointers to its elements valid across push_back and pop_front of others.
  Utterance* open_ = nullptr;
  std::deque<WsMessage> outbox_;
  std::function<void()> waker_;
  std::uint64_t utterance_count_ = 0;
  int silence_ms_ = 0;  // sentence_silence of the following utterances
  std::size_t pending_text_chars_ = 0;
  Clock::time_point quiet_deadline_ = Clock::time_point::max();
  Clock::time_point first_text_{};
  bool first_text_set_ = false;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<WsSession> make_stream_session(Api& api, const HttpRequest& upgrade) {
  return std::make_unique<StreamSession>(api, upgrade);
}

}  // namespace lector::api
