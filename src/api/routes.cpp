#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_util.h"
#include "api/query.h"
#include "audio/wav.h"
#include "core/error.h"
#include "obs/log.h"
#include "text/incremental.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

Response json_response(const json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = dump_json(j);
  return r;
}

// User-supplied values quoted in error messages are cut short.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadParameter:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kBadMethod:
      return 405;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kOverloaded:
      return 503;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kEngineFailed:
      return 500;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string required(const Target& t, const char* name) {
  auto v = t.get(name);
  if (!v) throw bad_parameter(name, "missing");
  if (v->empty()) throw bad_parameter(name, "empty");
  return *v;
}

// Streams a WAV header followed by the request's PCM, and logs the request when it ends.
// Owns the request: when the response goes away, so does the request.
class WavSource final : public BodySource {
 public:
  WavSource(sched::RequestHandle request, std::string log_prefix)
      : request_(std::move(request)), log_prefix_(std::move(log_prefix)) {}

  State next(std::string& out) override {
    if (rejected_) return State::kFailed;
    const std::size_t before = out.size();
    if (!header_sent_) out += audio::wav_header(request_.sample_rate());
    // Bounded pieces: a client that stops reading holds at most one piece in the writer.
    const auto state = request_.take(out, nullptr, 128 * 1024);
    if (state == sched::RequestHandle::State::kEnd && !header_sent_) {
      header_sent_ = true;  // no audio at all: still a valid, empty WAV
      return State::kData;
    }
    if (state != sched::RequestHandle::State::kData) {
      out.resize(before);  // no header until there is audio: a failure can still be a 500
      return static_cast<State>(state);
    }
    if (!header_sent_) {
      header_sent_ = true;
      first_audio_ = Clock::now();
    }
    audio_bytes_ += out.size() - before;
    return State::kData;
  }
  void set_waker(std::function<void()> waker) override {
    waker_ = waker;
    request_.set_waker(std::move(waker));
  }
  void cancel() override { request_.cancel(); }
  std::string error() const override { return rejected_ ? reject_message_ : request_.error(); }
  int error_status() const override { return error_status_; }

  // Text for an open request (a streamed upload).
  void append(std::vector<std::string> segments) { request_.append(std::move(segments)); }
  void close() { request_.close(); }

  // The client's input turned out bad: the request ends now (its slot is freed), and the
  // response fails with `status` if nothing was sent yet.
  void reject(int status, const std::string& message) {
    error_status_ = status;
    reject_message_ = message;
    rejected_ = true;
    request_.cancel();
    if (waker_) waker_();
  }

  void finished(bool complete, std::size_t bytes_sent) override {
    const auto ms = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - request_.created()).count();
    };
    const double audio_s = static_cast<double>(audio_bytes_ > 44 ? audio_bytes_ - 44 : 0) / 2.0 /
                           request_.sample_rate();
    obs::log_info("{} status={} bytes={} audio={:.2f}s ttfa={:.1f}ms total={:.1f}ms{}", log_prefix_,
                  complete ? 200 : 499, bytes_sent, audio_s, header_sent_ ? ms(first_audio_) : -1.0,
                  ms(Clock::now()), complete ? "" : " (incomplete)");
  }

 private:
  sched::RequestHandle request_;
  std::string log_prefix_;
  std::function<void()> waker_;
  bool header_sent_ = false;
  bool rejected_ = false;
  std::string reject_message_;
  int error_status_ = 500;
  Clock::time_point first_audio_{};
  std::size_t audio_bytes_ = 0;
};

// "en" matches "en-US" and "en-GB"; "en-us" matches "en-US" only. Case-insensitive, by subtag.
bool language_matches(std::string_view voice_language, std::string_view wanted) {
  if (wanted.size() > voice_language.size()) return false;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(voice_language[i])));
    const char b = static_cast<char>(
        std::tolower(static_cast<unsigned char>(wanted[i] == '_' ? '-' : wanted[i])));
    if (a != b) return false;
  }
  return wanted.size() == voice_language.size() || voice_language[wanted.size()] == '-';
}

json stats_json(const sched::SchedulerStats& s) {
  json workers = json::array();
  for (const auto& w : s.workers)
    workers.push_back({{"engine", w.engine},
                       {"pid", w.pid},
                       {"state", w.state},
                       {"segments_done", w.segments_done}});
  return {{"workers", workers},
          {"requests_active", s.requests_active},
          {"segments_queued", s.segments_queued},
          {"requests_total", s.requests_total},
          {"requests_completed", s.requests_completed},
          {"requests_rejected", s.requests_rejected},
          {"requests_cancelled", s.requests_cancelled},
          {"requests_failed", s.requests_failed},
          {"segments_done", s.segments_done},
          {"segments_retried", s.segments_retried},
          {"worker_restarts", s.worker_restarts},
          {"cache",
           {{"hits", s.cache_hits},
            {"misses", s.cache_misses},
            {"bytes", s.cache_bytes},
            {"entries", s.cache_entries}}}};
}

std::atomic<std::uint64_t> g_request_counter{0};

}  // namespace

Api::Api(sched::Scheduler& scheduler, ApiConfig config)
    : scheduler_(scheduler), config_(std::move(config)), default_engine_(config_.default_engine) {
  for (const auto& e : scheduler_.engines()) {
    if (e.voices.empty()) continue;
    // The configured default voice for the default engine; "en-us" or the first voice elsewhere.
    std::string v = e.name == default_engine_ ? config_.default_voice : "en-us";
    if (e.find_voice(v) == nullptr) v = e.voices.front().name;
    default_voice_[e.name] = v;
  }
}

Response Api::error_response(int status, const std::string& message) {
  return json_response({{"error", message}}, status);
}

Response Api::handle(const HttpRequest& request) noexcept {
  return guarded([&] { return route(request); }, request.target);
}

Response Api::guarded(const std::function<Response()>& body, std::string_view target) noexcept {
  try {
    return body();
  } catch (const Error& e) {
    Response r = error_response(status_for(e.code()), e.what());
    if (e.code() == ErrorCode::kOverloaded || e.code() == ErrorCode::kUnavailable)
      r.headers.emplace_back("Retry-After", std::to_string(config_.retry_after_seconds));
    return r;
  } catch (const std::exception& e) {
    obs::log_error("internal error on {}: {}", target.substr(0, target.find('?')), e.what());
    return error_response(500, "internal error");
  }
}

Response Api::route(const HttpRequest& request) {
  const Target t = parse_target(request.target);
  const bool get = request.method == "GET" || request.method == "HEAD";
  auto require_get = [&] {
    if (!get)
      throw Error(ErrorCode::kBadMethod,
                  "method " + request.method + " is not allowed on " + t.path);
  };

  if (t.path == "/") {
    require_get();
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(page_html());
    return r;
  }

  if (t.path == "/engines") {
    require_get();
    json names = json::array();
    for (const auto& e : scheduler_.engines()) names.push_back(e.name);
    return json_response(names);
  }

  if (t.path == "/voices" || t.path == "/api/voices") {
    require_get();
    // The seed's /voices lists the names of one engine's voices; /api/voices lists every
    // engine's voices with their metadata. Both take the same filters.
    const bool detail = t.path == "/api/voices" || t.get("detail").value_or("0") != "0";
    std::vector<sched::EngineInfo> engines;
    if (auto e = t.get("engine")) {
      auto info = scheduler_.engine(*e);
      if (!info) throw bad_parameter("engine", "unknown engine " + quote(*e));
      engines.push_back(*info);
    } else if (detail) {
      engines = scheduler_.engines();
    } else {
      std::string engine;
      {
        std::lock_guard lock(mu_);
        engine = default_engine_;
      }
      if (auto info = scheduler_.engine(engine)) engines.push_back(*info);
    }
    const std::optional<std::string> language = t.get("language");
    const std::optional<std::string> gender = t.get("gender");
    if (gender && *gender != "male" && *gender != "female" && *gender != "unknown")
      throw bad_parameter("gender", "must be male, female or unknown, not " + quote(*gender));
    json out = json::array();
    for (const auto& e : engines) {
      for (const VoiceInfo& v : e.voices) {
        if (language && !language_matches(v.language, *language)) continue;
        if (gender && *gender != to_string(v.gender)) continue;
        if (!detail) {
          out.push_back(v.name);
          continue;
        }
        out.push_back({{"id", e.name + ":" + v.name},
                       {"engine", e.name},
                       {"name", v.name},
                       {"display_name", v.display_name},
                       {"languages", json::array({v.language})},
                       {"gender", to_string(v.gender)},
                       {"sample_rate", v.sample_rate > 0 ? v.sample_rate : e.sample_rate},
                       {"word_timings", e.name == "espeak"}});
      }
    }
    return json_response(out);
  }

  if (t.path == "/api/engines") {
    require_get();
    const sched::SchedulerStats stats = scheduler_.stats();
    json out = json::array();
    for (const std::string& name : scheduler_.configured_engines()) {
      auto info = scheduler_.engine(name);
      std::size_t live = 0, total = 0;
      for (const auto& w : stats.workers) {
        if (w.engine != name) continue;
        ++total;
        if (w.state != "dead" && w.state != "starting") ++live;
      }
      json e = {{"name", name},
                {"available", info != nullptr},
                {"workers", total},
                {"workers_live", live}};
      if (info) {
        e["voices"] = info->voices.size();
        e["sample_rate"] = info->sample_rate;
        e["variants"] = info->variants;
      } else {
        e["error"] = "no worker of this engine started; see the server log";
      }
      out.push_back(std::move(e));
    }
    return json_response(out);
  }

  if (t.path == "/set_engine") {
    require_get();
    const std::string engine = required(t, "engine_name");
    if (!scheduler_.engine(engine))
      throw bad_parameter("engine_name", "unknown engine " + quote(engine));
    std::lock_guard lock(mu_);
    default_engine_ = engine;
    return json_response({{"message", "Switched to " + engine + " engine"}});
  }

  if (t.path == "/setvoice") {
    require_get();
    const std::string voice = required(t, "voice_name");
    std::lock_guard lock(mu_);
    auto info = scheduler_.engine(default_engine_);
    if (!info || info->find_voice(voice) == nullptr)
      throw bad_parameter(
          "voice_name", "unknown voice " + quote(voice) + " for engine '" + default_engine_ + "'");
    default_voice_[default_engine_] = voice;
    return json_response({{"message", "Voice set to " + voice}});
  }

  if (t.path == "/health") {
    require_get();
    std::string engine;
    {
      std::lock_guard lock(mu_);
      engine = default_engine_;
    }
    if (!scheduler_.ready(engine))
      return json_response(
          {{"status", "unavailable"}, {"error", "engine '" + engine + "' has no live worker"}},
          503);
    return json_response({{"status", "ok"}});
  }

  if (t.path == "/status") {
    require_get();
    return json_response(stats_json(scheduler_.stats()));
  }

  if (t.path == "/tts") {
    // GET: parameters in the query. POST with a JSON body: the same parameters as JSON fields.
    // POST with any other body: the body is the text, other parameters in the query.
    ParamLookup params = [&](const char* name) { return t.get(name); };
    json body;
    if (request.method == "POST") {
      // Only JSON bodies come here: text bodies stream through open_upload() (streams_body).
      body = json::parse(request.body, nullptr, false);
      if (body.is_discarded() || !body.is_object())
        throw Error(ErrorCode::kBadParameter, "request body is not a JSON object");
      params = json_params(body);
    } else {
      require_get();
    }
    auto raw = params("text");
    if (!raw) throw bad_parameter("text", "missing");
    const std::string clean = clean_text(*raw);
    sched::SynthesisRequest req = resolve(params);
    req.segments = text::split_segments(clean, language_of(req), config_.segmenter);
    if (req.segments.empty()) throw bad_parameter("text", "has nothing to speak");

    const std::uint64_t n = ++g_request_counter;
    std::string prefix = "req=" + std::to_string(n) + " peer=" + request.peer +
                         " route=/tts engine=" + req.engine + " voice=" + req.voice +
                         " chars=" + std::to_string(text::count_code_points(clean)) +
                         " segments=" + std::to_string(req.segments.size());
    auto request_handle = scheduler_.submit(std::move(req));
    Response r;
    r.content_type = "audio/wav";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.stream = std::make_shared<WavSource>(std::move(request_handle), std::move(prefix));
    return r;
  }

  throw Error(ErrorCode::kNotFound, "no route " + quote(t.path));
}

// Feeds an uploaded text body to an open scheduler request, segment by segment.
class TextUpload final : public UploadSink {
 public:
  TextUpload(Api& api, std::shared_ptr<WavSource> source, const std::string& language)
      : api_(api), source_(std::move(source)), segmenter_(language, options(api.config())) {}

  bool feed(std::string_view bytes) override {
    if (failed_) return false;
    carry_.append(bytes);
    // Hold back an incomplete UTF-8 sequence at the end until its remaining bytes arrive.
    std::size_t keep = 0;
    for (std::size_t back = 1; back <= 3 && back <= carry_.size(); ++back) {
      const auto c = static_cast<unsigned char>(carry_[carry_.size() - back]);
      if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
      const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (len > back) keep = back;
      break;
    }
    const std::string_view complete(carry_.data(), carry_.size() - keep);
    if (!text::is_valid_utf8(complete)) return reject("not valid UTF-8");
    chars_ += text::count_code_points(complete);
    if (chars_ > api_.config().max_text_chars)
      return reject("too long: over " + std::to_string(api_.config().max_text_chars) +
                    " characters");
    send(segmenter_.feed(complete));
    carry_.erase(0, carry_.size() - keep);
    return true;
  }

  void finish() override {
    if (failed_) return;
    if (!carry_.empty()) {
      reject("not valid UTF-8");
      return;
    }
    send(segmenter_.flush());
    if (segments_ == 0) {
      reject("empty");
      return;
    }
    source_->close();
  }

  void abort() override { source_->cancel(); }

 private:
  static text::IncrementalOptions options(const ApiConfig& config) {
    text::IncrementalOptions o;
    o.segmenter = config.segmenter;
    return o;
  }

  bool reject(const std::string& problem) {
    failed_ = true;
    source_->reject(400, "parameter 'text': " + problem);
    return false;
  }

  void send(std::vector<std::string> segments) {
    if (segments.empty()) return;
    segments_ += segments.size();
    source_->append(std::move(segments));
  }

  Api& api_;
  std::shared_ptr<WavSource> source_;
  text::IncrementalSegmenter segmenter_;
  std::string carry_;
  std::size_t chars_ = 0;
  std::size_t segments_ = 0;
  bool failed_ = false;
};

bool Api::streams_body(std::string_view method, std::string_view target,
                       std::string_view content_type) {
  if (method != "POST") return false;
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  return path == "/tts" && media.find("json") == std::string_view::npos;
}

std::variant<Upload, Response> Api::open_upload(const HttpRequest& head) noexcept {
  std::shared_ptr<TextUpload> sink;
  Response r = guarded(
      [&]() -> Response {
        const Target t = parse_target(head.target);
        if (t.get("text")) throw bad_parameter("text", "given both in the query and as the body");
        sched::SynthesisRequest req = resolve([&](const char* name) { return t.get(name); });
        req.open = true;
        const std::string language = language_of(req);
        const std::uint64_t n = ++g_request_counter;
        std::string prefix = "req=" + std::to_string(n) + " peer=" + head.peer +
                             " route=POST/tts(upload) engine=" + req.engine + " voice=" + req.voice;
        auto source =
            std::make_shared<WavSource>(scheduler_.submit(std::move(req)), std::move(prefix));
        Response ok;
        ok.content_type = "audio/wav";
        ok.headers.emplace_back("Cache-Control", "no-store");
        ok.stream = source;
        sink = std::make_shared<TextUpload>(*this, std::move(source), language);
        return ok;
      },
      head.target);
  if (!r.stream) return r;
  return Upload{std::move(r), std::move(sink)};
}

std::string Api::clean_text(std::string_view raw, const char* param) const {
  if (!text::is_valid_utf8(raw)) throw bad_parameter(param, "not valid UTF-8");
  const std::size_t chars = text::count_code_points(raw);
  if (chars > config_.max_text_chars)
    throw bad_parameter(param, "too long: " + std::to_string(chars) + " characters, the limit is " +
                                   std::to_string(config_.max_text_chars));
  std::string clean = text::normalize(raw);
  if (clean.empty()) throw bad_parameter(param, "empty");
  return clean;
}

sched::SynthesisRequest Api::resolve(const ParamLookup& params) const {
  sched::SynthesisRequest req;
  const std::optional<std::string> engine_param = params("engine");
  std::optional<std::string> voice_param = params("voice");
  // A voice id "engine:name" names its engine, so no engine parameter is needed.
  std::optional<std::string> engine_of_voice;
  if (voice_param) {
    const std::size_t colon = voice_param->find(':');
    if (colon != std::string::npos && scheduler_.engine(voice_param->substr(0, colon))) {
      engine_of_voice = voice_param->substr(0, colon);
      voice_param = voice_param->substr(colon + 1);
    }
  }
  if (engine_param && engine_of_voice && *engine_param != *engine_of_voice)
    throw bad_parameter("voice", "voice id names engine '" + *engine_of_voice +
                                     "' but parameter 'engine' is '" + *engine_param + "'");
  if (engine_param) {
    req.engine = *engine_param;
  } else if (engine_of_voice) {
    req.engine = *engine_of_voice;
  } else {
    std::lock_guard lock(mu_);
    req.engine = default_engine_;
  }
  auto info = scheduler_.engine(req.engine);
  if (!info) throw bad_parameter("engine", "unknown engine " + quote(req.engine));
  if (voice_param) {
    req.voice = *voice_param;
  } else {
    std::lock_guard lock(mu_);
    auto it = default_voice_.find(req.engine);
    if (it != default_voice_.end()) req.voice = it->second;
  }
  // "en-us+f3" in a query string arrives as "en-us f3" when the client did not escape '+'.
  if (info->find_voice(req.voice) == nullptr && req.voice.find('+') == std::string::npos) {
    std::string plus = req.voice;
    if (const std::size_t sp = plus.find(' '); sp != std::string::npos) {
      plus[sp] = '+';
      if (info->find_voice(plus) != nullptr) req.voice = plus;
    }
  }
  if (info->find_voice(req.voice) == nullptr)
    throw bad_parameter("voice",
                        "unknown voice " + quote(req.voice) + " for engine '" + req.engine + "'");
  auto number = [&](const char* name, double lo, double hi) {
    auto v = params(name);
    if (!v) return 1.0;
    double d = 0;
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, d);
    if (v->empty() || ec != std::errc() || ptr != end || !std::isfinite(d))
      throw bad_parameter(name, "not a number: " + quote(*v));
    if (d < lo || d > hi) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%g is out of range [%g, %g]", d, lo, hi);
      throw bad_parameter(name, buf);
    }
    return d;
  };
  req.params.speed = number("speed", 0.25, 4.0);
  req.params.pitch = number("pitch", 0.5, 2.0);
  req.params.volume = number("volume", 0.0, 2.0);
  return req;
}

std::string Api::language_of(const sched::SynthesisRequest& request) const {
  auto info = scheduler_.engine(request.engine);
  const VoiceInfo* v = info ? info->find_voice(request.voice) : nullptr;
  return v != nullptr ? v->language : std::string();
}

// --- query ----------------------------------------------------------------------------------

std::optional<std::string> Target::get(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return std::nullopt;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      const int hi = i + 2 < s.size() + 0 ? hex(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw Error(ErrorCode::kBadParameter, "malformed percent-escape in the query string");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Target parse_target(std::string_view target) {
  Target t;
  const std::size_t q = target.find('?');
  t.path = percent_decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  const std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    t.params.emplace_back(std::move(key), std::move(value));
  }
  return t;
}

}  // namespace lector::api
