// Kept whole, past ~450 lines: one protocol's session (messages, outbox, events, records) reads
// best together; its utterances are in ws_utterance.h.

// The native streaming protocol, /v1/stream. Client -> server: JSON text messages
//   {"type":"config", "engine", "voice", "speed", "pitch", "volume", "format", "sample_rate",
//    "sentence_silence", "normalize", "read_code", "emoji_names", "lexicon"}
//                                    (all optional; format pcm and the voice's rate by default)
//   {"type":"text", "text": "..."}   a fragment, any size (an LLM token, a sentence, ...)
//   {"type":"flush"}                 the utterance's text is complete
//   {"type":"cancel"}                barge-in: stop all audio now, drop queued text
//   {"type":"end"}                   flush, send what remains, then close
// Server -> client: JSON events and binary audio (raw s16le mono PCM by default; with a format,
// each utterance is one stream of that format, e.g. one Ogg Opus stream, split over messages):
//   config, utterance_start, segment_start, word, <binary audio>, segment_done, done,
//   cancelled, and error {"type":"error","code","message"} (codes from core/error.h's table).
// Word and segment events carry `start`/`end`: code points of the text the client sent for the
// utterance (its text messages since the last flush or cancel, concatenated). `cancelled`
// reports what the client had been handed (HeardTracker, heard.h).
// Runs on one connection strand (see WsSession); nothing here sees the transport.

#include <cmath>
#include <deque>

#include "api/dto.h"
#include "api/output.h"
#include "api/text_options.h"
#include "api/ws_sessions.h"
#include "api/ws_utterance.h"
#include "obs/log.h"
#include "text/frontend.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Audio goes out in pieces of at most this many bytes, so a cancel stops it within one piece
// (about 0.19 s at 22050 Hz).
constexpr std::size_t kAudioPiece = 8192;

class StreamSession final : public WsSession {
 public:
  StreamSession(Api& api, const HttpRequest& upgrade)
      : api_(api), usage_(upgrade.usage), upgrade_(upgrade) {
    config_ = api_.resolve([](const char*) { return std::nullopt; });
    silence_ms_ = api_.config().sentence_silence_ms();
    config_.usage = usage_;
    output_.format = audio::Format::kPcm;
    text_ = api_.config().text;
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
    if (frontend_ && quiet_deadline_ <= Clock::now()) {
      quiet_deadline_ = Clock::time_point::max();
      // Submitting may be refused (overloaded): an error event, as for a text message.
      on_message_errors([&] { append(frontend_->on_quiet()); });
    }
    if (outbox_.empty()) refill();
    if (outbox_.empty()) return std::nullopt;
    Outgoing m = std::move(outbox_.front());
    outbox_.pop_front();
    // The transport writes what it is given: the client now has this audio.
    if (m.utterance != 0)
      for (Utterance& u : utterances_)
        if (u.number == m.utterance) u.delivered(m.pcm_end, m.silence_end);
    return std::move(m.message);
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
    const int silence_ms = sentence_silence_param(params, api_.config().sentence_silence);
    TextOptions text_opts = text_options(params, api_.config().text);
    read_lexicon_field(msg, text_opts);
    // Checked now, so that a bad entry is this message's error, not the next text's.
    (void)frontend_options(api_, next, text_opts, silence_ms);
    silence_ms_ = silence_ms;
    config_ = std::move(next);
    config_.usage = usage_;
    output_ = output;
    text_ = std::move(text_opts);
    config_changed_ = true;
    push_event({{"type", "config"},
                {"engine", config_.engine},
                {"voice", config_.voice},
                {"speed", config_.params.speed},
                {"pitch", config_.params.pitch},
                {"volume", config_.params.volume},
                {"format", audio::to_string(output_.format)},
                {"sentence_silence", silence_ms_ / 1000.0},
                {"normalize", text_.normalize},
                {"read_code", text_.cleanup.code == text::CleanupOptions::Code::kRead},
                {"emoji_names", text_.cleanup.emoji == text::CleanupOptions::Emoji::kName},
                {"lexicon", text_.lexicon.size()},
                {"sample_rate", output_.sample_rate != 0
                                    ? json(output_.sample_rate)
                                    : json(voice != nullptr ? info->rate_of(*voice) : 0)}});
  }

  void text(const std::string& fragment) {
    // A new configuration (voice, language, normalization, lexicon) applies from the next
    // utterance: text already pending keeps the front end it began with, so that its offsets
    // stay those of one utterance.
    if (frontend_ && config_changed_ && !open_ && frontend_->pending_chars() == 0)
      frontend_.reset();
    if (!frontend_) {
      frontend_.emplace(frontend_options(api_, config_, text_, silence_ms_));
      config_changed_ = false;
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
    append(frontend_->feed(fragment));
    quiet_deadline_ = frontend_->pending_chars() > 0 ? Clock::now() + api_.config().quiet_flush
                                                     : Clock::time_point::max();
  }

  // Barge-in. The report is about the first utterance cancelled, the one being heard: what of
  // it the client had been handed (outbox messages not yet given to the transport never reach
  // the client).
  void cancel() {
    std::uint64_t last = 0;
    std::optional<Heard> heard;
    for (Utterance& u : utterances_) {
      u.cancel();
      if (!heard) heard = heard_of(u);
      record(u, RequestEnd::kBargeIn);
      last = u.number;
    }
    utterances_.clear();
    open_ = nullptr;
    outbox_.clear();
    // Text not yet spoken is dropped, and the next text starts a new utterance at offset 0.
    frontend_.reset();
    pending_text_chars_ = 0;
    first_text_set_ = false;
    quiet_deadline_ = Clock::time_point::max();
    json event = {{"type", "cancelled"}, {"utterance", last}};
    add_heard(event, heard.value_or(Heard{}));
    push_event(event);
  }

  static Heard heard_of(const Utterance& u) {
    Heard h = u.heard();
    h.audio_seconds_sent = u.delivered_seconds();
    return h;
  }

  static void add_heard(json& event, const Heard& h) {
    event["audio_seconds_sent"] = h.audio_seconds_sent;
    event["segment"] = h.segment ? json(*h.segment) : json(nullptr);
    event["word"] =
        h.word ? json{{"text", h.word->text}, {"start", h.word->start}, {"end", h.word->end}}
               : json(nullptr);
    event["source_offset"] = h.source_offset;
  }

  void flush() {
    if (frontend_) append(frontend_->flush());
    quiet_deadline_ = Clock::time_point::max();
    pending_text_chars_ = 0;
    if (open_) {
      open_->close();
      open_ = nullptr;
    }
  }

  // Sends confirmed segments to the scheduler, opening an utterance if none is open.
  void append(std::vector<text::MappedText> segments) {
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
        push_encoded_tail(u, tail);
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
      const HeardWord w = u.tracker().word(m);
      // An engine may mark punctuation as a word (espeak-ng, for the "." the clean-up ends a
      // paragraph with, before a lower-case word): nothing a caption could show.
      if (!text::has_word_char(w.text)) return;
      push_event({{"type", "word"},
                  {"utterance", u.number},
                  {"segment", m.segment},
                  {"text", w.text},
                  {"start", w.start},
                  {"end", w.end},
                  {"audio_offset_seconds", u.heard_seconds(m.offset)}});
    } else if (m.kind == sched::AudioMark::Kind::kSegmentStart) {
      const text::SourceSpan span = u.tracker().segment_span(m.segment);
      push_event({{"type", "segment_start"},
                  {"utterance", u.number},
                  {"index", m.segment},
                  {"text", u.tracker().segment_text(m.segment)},
                  {"start", span.start},
                  {"end", span.end}});
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
    const std::size_t silence_before = u.silence_bytes;
    u.silence_bytes += zeros.size();
    encoded_.clear();
    u.encode(zeros, encoded_);
    push_encoded(u, encoded_, u.sent_bytes, u.sent_bytes, silence_before);
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
                {"segments", u.segment_count()},
                {"audio_seconds", audio_s},
                {"time_to_first_audio_ms", ttfa_ms},
                {"real_time_factor", audio_s > 0 ? wall_s / audio_s : 0.0}});
  }

  void push_audio(Utterance& u, std::string_view pcm) {
    if (u.first_audio == Clock::time_point{}) u.first_audio = Clock::now();
    const std::size_t before = u.sent_bytes;
    u.sent_bytes += pcm.size();
    encoded_.clear();
    u.encode(pcm, encoded_);
    u.encoded_bytes += encoded_.size();
    push_encoded(u, encoded_, before, u.sent_bytes, u.silence_bytes);
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
    if (end == RequestEnd::kBargeIn || end == RequestEnd::kClientGone ||
        end == RequestEnd::kShutdown)
      r.heard = heard_of(u);
    api_.request_done(r);
  }

  // Audio messages of `u` that carry its request's PCM [pcm_from, pcm_to) (encoded: the
  // encoder's output for it), after `silence` bytes of silence; each piece notes how far the
  // client has got once it is written. An encoder that holds samples back makes this an upper
  // bound; raw PCM is exact.
  void push_encoded(Utterance& u, std::string_view bytes, std::size_t pcm_from, std::size_t pcm_to,
                    std::size_t silence) {
    const std::size_t silence_to = u.silence_bytes;
    for (std::size_t off = 0; off < bytes.size(); off += kAudioPiece) {
      const std::size_t end = std::min(bytes.size(), off + kAudioPiece);
      // The share of the PCM (or of the silence) this piece carries, whole samples.
      const auto upto = [&](std::size_t from, std::size_t to) {
        return end == bytes.size() ? to : from + (to - from) * end / bytes.size() / 2 * 2;
      };
      outbox_.push_back(Outgoing{WsMessage{true, std::string(bytes.substr(off, end - off))},
                                 u.number, upto(pcm_from, pcm_to), upto(silence, silence_to)});
    }
  }
  void push_encoded_tail(Utterance& u, std::string_view bytes) {
    push_encoded(u, bytes, u.sent_bytes, u.sent_bytes, u.silence_bytes);
  }

  void push_event(const json& j) { outbox_.push_back(Outgoing{WsMessage{false, dump_json(j)}}); }
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
  TextOptions text_;     // normalize, code, emoji, lexicon entries of the following utterances
  // The text front end of the utterance taking text, made with the configuration in force
  // when its first text came; config_changed_: a config message came since.
  std::optional<text::Frontend> frontend_;
  bool config_changed_ = false;
  std::deque<Utterance> utterances_;
  // The utterance still taking text (the back of utterances_), if any. A deque keeps
  // pointers to its elements valid across push_back and pop_front of others.
  Utterance* open_ = nullptr;
  // A message ready for the transport; an audio message also says how far the client has got
  // in its utterance's audio once it is written.
  struct Outgoing {
    WsMessage message;
    std::uint64_t utterance = 0;  // 0: not audio
    std::size_t pcm_end = 0;
    std::size_t silence_end = 0;
  };
  std::deque<Outgoing> outbox_;
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
