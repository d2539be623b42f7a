// MaryTTS's HTTP API, for the clients that speak it (Home Assistant's `marytts` platform,
// openHAB, NVDA add-ons): GET|POST /process, GET /locales, GET /version, and MaryTTS's voice
// list at GET /marytts/voices (MaryTTS has it at /voices, which is the seed's JSON list here).
//
// /process parameters (query, or a form body — parsed whatever its Content-Type says):
//   INPUT_TEXT (required), INPUT_TYPE (TEXT or SSML), OUTPUT_TYPE (AUDIO), AUDIO (WAVE_FILE: a
//   WAV with exact sizes, sent once synthesized; WAVE: the streamed WAV of /tts), LOCALE
//   (en_US: picks a voice of that language when VOICE is absent), VOICE (a Lector voice name
//   or id). Errors are Lector's JSON errors naming the MaryTTS parameter.

#include <algorithm>
#include <set>

#include "api/audio_body.h"
#include "api/complete_wav.h"
#include "api/form.h"
#include "api/routes.h"
#include "api/ssml_request.h"
#include "api/text_options.h"
#include "text/utf8.h"

namespace lector::api {
namespace {

// "en_US" -> "en-us"; "en-US" -> "en-us" (for comparison).
std::string locale_key(std::string_view locale) {
  std::string k(locale);
  for (char& c : k) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return k;
}

// BCP-47 "en-US" -> MaryTTS "en_US".
std::string mary_locale(std::string_view language) {
  std::string l(language);
  std::replace(l.begin(), l.end(), '-', '_');
  return l;
}

// The first voice for `locale`: the default engine's first, then any engine's; an exact
// language match before a match of the language alone ("en" for "en_GB").
std::optional<std::string> voice_for_locale(Api& api, std::string_view locale) {
  const std::string want = locale_key(locale);
  const std::string lang = want.substr(0, want.find('-'));
  const auto engines = api.scheduler().engines();
  const std::string first_engine = api.defaults().engine();
  for (const bool exact : {true, false}) {
    for (const bool default_engine : {true, false}) {
      for (const auto& e : engines) {
        if ((e.name == first_engine) != default_engine) continue;
        for (const VoiceInfo& v : e.voices) {
          const std::string have = locale_key(v.language);
          if (exact ? have == want : have == lang) return e.name + ":" + v.name;
        }
      }
    }
  }
  return std::nullopt;
}

Response process(Api& api, const HttpRequest& request) {
  QueryParams fields = request.params;
  if (request.method == "POST") {
    // MaryTTS clients often send the form without a Content-Type.
    QueryParams form = parse_form(request.body);
    fields.insert(fields.end(), form.begin(), form.end());
  }
  const auto field = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : fields)
      if (k == name) return v;
    return std::nullopt;
  };
  const std::optional<std::string> text = field("INPUT_TEXT");
  if (!text) throw bad_parameter("INPUT_TEXT", "missing");
  const std::string input_type = field("INPUT_TYPE").value_or("TEXT");
  if (input_type != "TEXT" && input_type != "SSML")
    throw bad_parameter("INPUT_TYPE", "unsupported input type " + quote(input_type) +
                                          "; this server takes TEXT or SSML");
  const std::string output_type = field("OUTPUT_TYPE").value_or("AUDIO");
  if (output_type != "AUDIO")
    throw bad_parameter("OUTPUT_TYPE",
                        "unsupported output type " + quote(output_type) + "; only AUDIO");
  const std::string audio = field("AUDIO").value_or("WAVE_FILE");
  if (audio != "WAVE_FILE" && audio != "WAVE")
    throw bad_parameter("AUDIO", "unsupported audio type " + quote(audio) + "; WAVE_FILE or WAVE");

  std::optional<std::string> voice = field("VOICE");
  if (voice && voice->empty()) voice.reset();
  if (!voice) {
    if (auto locale = field("LOCALE"); locale && !locale->empty()) {
      voice = voice_for_locale(api, *locale);
      if (!voice) throw bad_parameter("LOCALE", "no voice speaks " + quote(*locale));
    }
  }
  const ParamLookup params = [&](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "voice") return voice;
    return std::nullopt;
  };
  // Lector's own parameters beside MaryTTS's: normalize, read_code, emoji_names.
  const TextOptions text_opts =
      text_options([&](const char* name) { return field(name); }, api.config().text);
  sched::SynthesisRequest req;
  try {
    req = api.resolve(params);
  } catch (const Error& e) {
    // The voice came from VOICE (or LOCALE): name MaryTTS's parameter.
    if (e.param() == "voice") {
      std::string problem = e.what();
      const std::string prefix = "parameter 'voice': ";
      if (problem.starts_with(prefix)) problem.erase(0, prefix.size());
      throw bad_parameter("VOICE", problem);
    }
    throw;
  }
  const OutputSpec wav{audio::Format::kWav, 0};
  const int silence_ms = api.config().sentence_silence_ms();
  std::shared_ptr<AudioBody> body;
  req.usage = request.usage;
  if (input_type == "SSML") {
    body = ssml_body(api, *text, req, wav, text::count_code_points(*text),
                     SsmlOptions{"INPUT_TEXT", 0, silence_ms, text_opts});
  } else {
    req.segments = segment_texts(
        prepare_text(api, *text, frontend_options(api, req, text_opts, silence_ms), "INPUT_TEXT"));
    body = AudioBody::start(api.scheduler(), std::move(req), wav, text::count_code_points(*text),
                            silence_ms);
  }
  const int rate = body->output_rate();
  if (audio == "WAVE") return AudioBody::response(std::move(body), wav, rate);
  Response r = AudioBody::response(std::make_shared<CompleteWavBody>(std::move(body)), wav, rate);
  r.content_type = "audio/x-wav";  // what MaryTTS sends
  return r;
}

Response plain(std::string text) {
  Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

Response locales(const sched::Scheduler& scheduler) {
  std::set<std::string> all;
  for (const auto& e : scheduler.engines())
    for (const VoiceInfo& v : e.voices)
      if (!v.language.empty()) all.insert(mary_locale(v.language));
  std::string out;
  for (const std::string& l : all) out += l + "\n";
  return plain(std::move(out));
}

// MaryTTS lines: "name locale gender type"; the name is a Lector voice id (VOICE takes it).
Response voices(const sched::Scheduler& scheduler) {
  std::string out;
  for (const auto& e : scheduler.engines())
    for (const VoiceInfo& v : e.voices)
      out += e.name + ":" + v.name + " " + mary_locale(v.language.empty() ? "und" : v.language) +
             " " + to_string(v.gender) + " " + e.name + "\n";
  return plain(std::move(out));
}

}  // namespace

void add_marytts_routes(RouteTable& routes, Api& api) {
  routes.add("/process", {"GET", "POST"},
             [&api](const HttpRequest& request) { return process(api, request); });
  routes.add("/locales", {"GET"}, [&api](const HttpRequest&) { return locales(api.scheduler()); });
  routes.add("/version", {"GET"}, [](const HttpRequest&) {
    return plain("Lector " LECTOR_VERSION_STRING " (MaryTTS-compatible HTTP API)\n");
  });
  routes.add("/marytts/voices", {"GET"},
             [&api](const HttpRequest&) { return voices(api.scheduler()); });
}

}  // namespace lector::api
