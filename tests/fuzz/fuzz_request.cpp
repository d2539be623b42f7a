// Request validation, from the pure checks to whole routes, against a real Api over a fixed
// catalog (fuzz_server.h: engine "fake", voices en-us, de, he, variants f1 and m2).
//
// Mode 0, the pure parts: api::clean_text, parse_form, json_params + Api::resolve +
// output_params. A rejection is a lector::Error with a 4xx code and a message naming the
// parameter; an acceptance is within range (speed, pitch, volume, sample rate, text length,
// valid UTF-8, a voice of the catalog). Mode 1, a whole request through Api::handle (every
// route: /tts, /v1/audio/speech, /process, the lists): never a 5xx, errors in JSON, and a
// streamed answer's request slot comes back when it is cancelled.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "api/dto.h"
#include "api/form.h"
#include "api/output.h"
#include "api/request_record.h"
#include "core/error.h"
#include "fuzz_server.h"
#include "text/utf8.h"

namespace {

using lector::Error;
using lector::ErrorCode;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "request validation invariant broken: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_rejection(const Error& e) {
  const int status = lector::error_spec(e.code()).http_status;
  if (status < 400 || status >= 500) fail("a validation error is not a 4xx:", e.what());
  if (std::string_view(e.what()).empty()) fail("an error without a message");
}

void check_resolved(const lector::sched::SynthesisRequest& r) {
  const auto& p = r.params;
  if (!(p.speed >= 0.25 && p.speed <= 4) || !(p.pitch >= 0.5 && p.pitch <= 2) ||
      !(p.volume >= 0 && p.volume <= 2))
    fail("a parameter out of range was accepted");
  const auto* engine = lector::fuzz::fuzz_server().scheduler->engine(r.engine);
  if (engine == nullptr) fail("resolved to an unknown engine", r.engine);
  if (engine->find_voice(r.voice) == nullptr) fail("resolved to an unknown voice", r.voice);
}

void pure_parts(FuzzedDataProvider& in) {
  lector::api::Api& api = *lector::fuzz::fuzz_server().api;
  const std::size_t max_chars = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  const std::string raw = in.ConsumeRandomLengthString(512);
  try {
    const std::string clean = api.clean_text(raw, "text", max_chars);
    if (clean.empty() || !lector::text::is_valid_utf8(clean) ||
        lector::text::count_code_points(clean) > max_chars)
      fail("clean_text accepted bad text");
  } catch (const Error& e) {
    check_rejection(e);
  }
  const bool as_form = in.ConsumeBool();
  const std::string body = in.ConsumeRemainingBytesAsString();
  try {
    lector::api::QueryParams form;
    nlohmann::json object;
    lector::api::ParamLookup lookup;
    if (as_form) {
      form = lector::api::parse_form(body);
      lookup = [&form](const char* name) -> std::optional<std::string> {
        for (const auto& [k, v] : form)
          if (k == name) return v;
        return std::nullopt;
      };
    } else {
      object = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (!object.is_object()) return;  // the routes answer "not a JSON object"
      lookup = lector::api::json_params(object);
    }
    check_resolved(api.resolve(lookup));
    const auto spec = lector::api::output_params(lookup, {});
    if (spec.sample_rate != 0 && (spec.sample_rate < 8000 || spec.sample_rate > 48000))
      fail("a sample rate out of range was accepted");
  } catch (const Error& e) {
    check_rejection(e);
  }
}

void whole_request(FuzzedDataProvider& in) {
  static constexpr const char* kPaths[] = {
      "/tts",      "/v1/audio/speech", "/process",   "/voices",          "/api/voices", "/engines",
      "/setvoice", "/set_engine",      "/v1/models", "/v1/audio/voices", "/status",     "/nope"};
  static constexpr const char* kMethods[] = {"GET", "POST", "HEAD", "PUT"};
  static constexpr const char* kTypes[] = {"", "application/json", "text/plain",
                                           "application/x-www-form-urlencoded"};
  static constexpr const char* kNames[] = {
      "text",  "input",  "INPUT_TEXT", "voice",       "engine",          "speed",
      "pitch", "volume", "format",     "sample_rate", "response_format", "model",
      "VOICE", "LOCALE", "AUDIO",      "voice_name",  "engine_name",     "stream_format"};
  lector::api::HttpRequest request;
  request.method = in.PickValueInArray(kMethods);
  request.path = in.PickValueInArray(kPaths);
  request.content_type = in.PickValueInArray(kTypes);
  const int n = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < n; ++i)
    request.params.emplace_back(in.PickValueInArray(kNames), in.ConsumeRandomLengthString(64));
  request.body = in.ConsumeRemainingBytesAsString();
  // /set_engine and /setvoice with a valid name change the server's defaults for later inputs:
  // harmless (every name of the catalog is valid), and it keeps them reachable.
  lector::api::Response r = lector::fuzz::fuzz_server().api->handle(request);
  if (r.status >= 500 && r.status != 503) fail("a 5xx answer:", r.body);
  if (r.status >= 400) {
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error")) fail("an error body that is not JSON:", r.body);
  }
  if (r.stream) {
    r.stream->cancel();
    lector::api::RequestRecord record;
    r.stream->describe(record);
    r.stream.reset();
  }
  lector::fuzz::check_no_request_leaked("Api::handle");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    pure_parts(in);
  else
    whole_request(in);
  return 0;
}
