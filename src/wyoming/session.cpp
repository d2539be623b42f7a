#include "wyoming/session.h"

#include <algorithm>

#include "api/audio_body.h"
#include "api/params.h"
#include "api/request_record.h"
#include "api/ssml_request.h"
#include "api/text_options.h"
#include "obs/log.h"
#include "text/frontend.h"
#include "text/utf8.h"

namespace lector::wyoming {
namespace {

using json = nlohmann::json;
using State = sched::RequestHandle::State;

json audio_format(int rate) {
  return {{"rate", rate}, {"width", 2}, {"channels", 1}};
}

// A required string field of an event's data.
std::string text_field(const Event& event) {
  auto it = event.data.find("text");
  if (it == event.data.end() || !it->is_string())
    throw bad_parameter("text", "missing or not a string in '" + event.type + "'");
  return it->get<std::string>();
}

const json& voice_field(const Event& event) {
  static const json kNull;
  auto it = event.data.find("voice");
  return it == event.data.end() ? kNull : *it;
}

Error out_of_order(const std::string& what) {
  return Error(ErrorCode::kMalformed, "event out of order: " + what);
}

}  // namespace

// One answer, in the order asked: a control event ready to send, or the audio of a
// synthesize or of a stream.
struct Session::Answer {
  std::string frames;  // a control event (when !audio)
  bool close_after = false;

  bool audio = false;
  bool stream = false;  // ends with synthesize-stopped
  bool open = false;    // a stream still taking text
  sched::SynthesisRequest spec;
  sched::RequestHandle handle;           // a stream's request: empty until its first sentence
  std::shared_ptr<api::AudioBody> body;  // a synthesize's audio (plain text or SSML)
  int rate = 0;
  bool started = false;  // audio-start sent
  std::uint64_t number = 0;
  std::size_t bytes = 0;  // PCM sent
  Clock::time_point asked = Clock::now();
  Clock::time_point first_audio{};
};

Session::Session(api::Api& api, ProgramInfo program, std::string peer)
    : api_(api), program_(std::move(program)), peer_(std::move(peer)) {}

Session::~Session() {
  on_disconnect();
}

void Session::on_event(Event event) {
  if (!input_open_) return;
  try {
    handle(event);
  } catch (const Error& e) {
    fail(e.code(), e.what());
  } catch (const std::exception& e) {
    obs::log_error("wyoming peer={}: internal error on '{}': {}", peer_, event.type, e.what());
    fail(ErrorCode::kInternal, "internal error");
  }
}

void Session::handle(Event& event) {
  const bool owed = ignore_next_synthesize_;
  ignore_next_synthesize_ = false;
  const std::string& type = event.type;
  if (type == "describe") {
    push_frame(encode_event("info", info_data(*api_.scheduler().catalog(), program_)));
  } else if (type == "ping") {
    auto t = event.data.find("text");
    const json text = t == event.data.end() ? json() : *t;
    if (!text.is_null() &&
        (!text.is_string() || text.get_ref<const std::string&>().size() > kMaxPingText))
      throw bad_parameter("text", "of 'ping' must be a string of at most " +
                                      std::to_string(kMaxPingText) + " bytes");
    push_frame(encode_event("pong", {{"text", text}}));
  } else if (type == "synthesize") {
    // The copy of a stream's text that Home Assistant sends for servers that do not stream.
    if (stream_ != nullptr) {
      stream_saw_synthesize_ = true;
      return;
    }
    if (owed) return;
    synthesize(event);
  } else if (type == "synthesize-start") {
    if (stream_ != nullptr) throw out_of_order("synthesize-start while a stream is open");
    stream_start(event);
  } else if (type == "synthesize-chunk") {
    if (stream_ == nullptr) throw out_of_order("synthesize-chunk without synthesize-start");
    stream_chunk(event);
  } else if (type == "synthesize-stop") {
    if (stream_ == nullptr) throw out_of_order("synthesize-stop without synthesize-start");
    stream_stop();
  } else {
    obs::log_debug("wyoming peer={}: ignored event '{}'", peer_, type.substr(0, 64));
  }
}

void Session::synthesize(const Event& event) {
  const std::string raw = text_field(event);
  sched::SynthesisRequest request = choose_voice(api_, voice_field(event));
  const int silence_ms = api_.config().sentence_silence_ms();
  const api::OutputSpec pcm{audio::Format::kPcm, 0};
  Answer& a = push_answer();
  a.audio = true;
  a.spec = request;
  try {
    if (api::is_ssml(raw, std::nullopt)) {
      a.body = api::ssml_body(api_, raw, request, pcm, text::count_code_points(raw),
                              api::SsmlOptions{"text", 0, silence_ms, api_.config().text});
    } else {
      request.segments = api::segment_texts(api::prepare_text(
          api_, raw, api::frontend_options(api_, request, api_.config().text, silence_ms), "text"));
      a.body = api::AudioBody::start(api_.scheduler(), std::move(request), pcm,
                                     text::count_code_points(raw), silence_ms);
    }
  } catch (...) {
    answers_.pop_back();
    throw;
  }
  a.rate = a.body->output_rate();
  a.body->set_waker(waker_);
}

void Session::stream_start(const Event& event) {
  sched::SynthesisRequest request = choose_voice(api_, voice_field(event));
  text::Frontend frontend(api::frontend_options(api_, request, api_.config().text,
                                                api_.config().sentence_silence_ms()));
  Answer& a = push_answer();
  a.audio = a.stream = a.open = true;
  a.spec = std::move(request);
  stream_ = &a;
  frontend_.emplace(std::move(frontend));
  stream_chars_ = 0;
  stream_saw_synthesize_ = false;
}

void Session::stream_chunk(const Event& event) {
  const std::string text = text_field(event);
  if (!text::is_valid_utf8(text)) throw bad_parameter("text", "not valid UTF-8");
  stream_chars_ += text::count_code_points(text);
  if (stream_chars_ > api_.config().max_text_chars)
    throw bad_parameter("text", "stream too long: over " +
                                    std::to_string(api_.config().max_text_chars) + " characters");
  append_segments(frontend_->feed(text));
  quiet_deadline_ = frontend_->pending_chars() > 0 ? Clock::now() + api_.config().quiet_flush
                                                   : Clock::time_point::max();
}

void Session::stream_stop() {
  append_segments(frontend_->flush());
  if (stream_->handle) stream_->handle.close();
  stream_->open = false;
  stream_ = nullptr;
  frontend_.reset();
  quiet_deadline_ = Clock::time_point::max();
  ignore_next_synthesize_ = !stream_saw_synthesize_;
}

void Session::append_segments(const std::vector<text::MappedText>& segments) {
  if (segments.empty()) return;
  if (!stream_->handle) {
    sched::SynthesisRequest request = stream_->spec;
    request.open = true;
    stream_->handle = api_.scheduler().submit(std::move(request));
    stream_->handle.set_waker(waker_);
  }
  stream_->handle.append(api::segment_texts(segments));
}

void Session::push_frame(std::string frame) {
  Answer& a = push_answer();
  a.frames = std::move(frame);
}

Session::Answer& Session::push_answer() {
  if (answers_.size() >= kMaxPending)
    throw Error(ErrorCode::kOverloaded, "too many requests waiting on this connection (limit " +
                                            std::to_string(kMaxPending) + ")");
  Answer& a = answers_.emplace_back();
  a.number = ++answer_count_;
  return a;
}

void Session::fail(ErrorCode code, const std::string& message) {
  cancel_stream();
  input_open_ = false;
  Answer a;
  a.frames = encode_event("error", {{"text", message}, {"code", to_string(code)}});
  a.close_after = true;
  answers_.push_back(std::move(a));
  obs::log_info("wyoming peer={}: error {}: {}", peer_, to_string(code), message);
}

void Session::cancel_stream() {
  if (stream_ == nullptr) return;
  auto it = std::find_if(answers_.begin(), answers_.end(),
                         [&](const Answer& a) { return &a == stream_; });
  stream_ = nullptr;
  frontend_.reset();
  quiet_deadline_ = Clock::time_point::max();
  if (it == answers_.end()) return;
  if (it->handle) log_end(*it, "cancelled");
  it->handle.cancel();
  answers_.erase(it);
}

void Session::on_frame_error(const Error& error) {
  if (input_open_) fail(error.code(), error.what());
}

void Session::on_input_end() {
  if (!input_open_) return;
  input_open_ = false;
  cancel_stream();
}

void Session::on_disconnect() {
  input_open_ = false;
  stream_ = nullptr;
  frontend_.reset();
  for (Answer& a : answers_) {
    if (a.handle || a.body) log_end(a, "cancelled");
    a.handle.cancel();
    if (a.body) a.body->cancel();
  }
  answers_.clear();
}

bool Session::next_output(std::string& out) {
  if (frontend_ && quiet_deadline_ <= Clock::now()) {
    quiet_deadline_ = Clock::time_point::max();
    try {
      append_segments(frontend_->on_quiet());
    } catch (const Error& e) {
      fail(e.code(), e.what());
    }
  }
  const std::size_t before = out.size();
  while (!answers_.empty()) {
    Answer& a = answers_.front();
    if (!a.audio) {
      out += a.frames;
      const bool close = a.close_after;
      answers_.pop_front();
      if (close) on_disconnect();  // nothing after an error is answered
      continue;
    }
    if (!a.handle && !a.body) {
      if (a.open) break;  // a stream waiting for its first sentence
      out += encode_event("synthesize-stopped");
      answers_.pop_front();
      continue;
    }
    const int rate = a.body ? a.rate : a.handle.sample_rate();
    if (!a.started) {
      out += encode_event("audio-start", audio_format(rate));
      a.started = true;
    }
    std::string pcm;
    State state;
    if (a.body) {
      state = static_cast<State>(a.body->next(pcm));
      // The body hands out what its request gives at once: a few chunks per call.
    } else {
      state = a.handle.take(pcm, nullptr, kChunkBytes * 16);
    }
    if (!pcm.empty() && a.first_audio == Clock::time_point{}) a.first_audio = Clock::now();
    a.bytes += pcm.size();
    for (std::size_t off = 0; off < pcm.size(); off += kChunkBytes)
      out += encode_event("audio-chunk", audio_format(rate),
                          std::string_view(pcm).substr(off, kChunkBytes));
    if (state == State::kData) break;  // the transport writes this, then asks again
    if (state == State::kPending) break;
    if (state == State::kEnd) {
      log_end(a, "done");
      out += encode_event("audio-stop");
      if (a.stream) out += encode_event("synthesize-stopped");
      answers_.pop_front();
      continue;
    }
    // Failed: the client cannot tell a cut answer from a whole one but by this error.
    log_end(a, "failed");
    const std::string error = a.body ? a.body->error() : a.handle.error();
    answers_.pop_front();
    fail(ErrorCode::kEngineFailed, "synthesis failed: " + error);
  }
  return out.size() > before;
}

void Session::log_end(const Answer& a, const char* outcome) const {
  // One record per utterance, as for HTTP requests and WebSocket utterances: the log line and
  // the metrics (route "wyoming").
  const std::string_view o = outcome;
  api::RequestRecord r;
  r.id = "wyoming-" + peer_ + "/" + std::to_string(a.number);
  r.route = "wyoming";
  r.method = a.stream ? "synthesize-start" : "synthesize";
  r.peer = peer_;
  r.status = o == "done" ? 200 : o == "failed" ? 500 : 499;
  r.end = o == "done"     ? api::RequestEnd::kComplete
          : o == "failed" ? api::RequestEnd::kFailed
                          : api::RequestEnd::kClientGone;
  if (o == "failed") r.error = ErrorCode::kEngineFailed;
  r.bytes = a.bytes;
  r.total_seconds = std::chrono::duration<double>(Clock::now() - a.asked).count();
  r.engine = a.spec.engine;
  r.voice = a.spec.voice;
  r.format = "pcm";
  r.sample_rate = a.body ? a.rate : a.handle.sample_rate();
  r.audio_seconds = r.sample_rate > 0 ? static_cast<double>(a.bytes) / 2.0 / r.sample_rate : 0.0;
  if (a.first_audio != Clock::time_point{})
    r.first_audio_seconds = std::chrono::duration<double>(a.first_audio - a.asked).count();
  api_.request_done(r);
}

}  // namespace lector::wyoming
