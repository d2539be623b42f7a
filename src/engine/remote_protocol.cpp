#include "engine/remote_protocol.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace lector::engine::remote {
namespace {

using nlohmann::json;

Error bad_url(std::string_view url, const std::string& problem) {
  // The URL is the user's own flag value; it is shown shortened, as any parameter is.
  std::string shown = redact_url(url);
  if (shown.size() > 80) shown = shown.substr(0, 80) + "...";
  return Error(ErrorCode::kBadParameter, "remote URL '" + shown + "': " + problem, "remote");
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Gender gender_of(const json& v) {
  if (!v.is_string()) return Gender::kUnknown;
  std::string g = v.get<std::string>();
  std::transform(g.begin(), g.end(), g.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (g == "male" || g == "m") return Gender::kMale;
  if (g == "female" || g == "f") return Gender::kFemale;
  return Gender::kUnknown;
}

// A language given as "en-US" or as ["en-US", "en-GB"]: the first one. "und" (BCP-47's
// "undetermined") when the upstream does not say.
std::string language_of(const json& entry) {
  for (const char* key : {"language", "languages", "lang"}) {
    const auto it = entry.find(key);
    if (it == entry.end()) continue;
    if (it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
    if (it->is_array() && !it->empty() && it->front().is_string()) return it->front();
  }
  return "und";
}

std::string string_field(const json& entry, const char* key) {
  const auto it = entry.find(key);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Text from an upstream for a message: printable, on one line, at most 200 bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (s.size() > 200) out += "...";
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t end = url.find_first_of("/?#", start);
  const std::size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

std::string Endpoint::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port;
}

Endpoint parse_base_url(std::string_view url, bool allow_tls) {
  Endpoint e;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    if (!allow_tls) throw bad_url(url, "https:// is not supported by this build");
    e.tls = true;
    rest = url.substr(8);
  } else {
    throw bad_url(url, "must start with http:// or https://");
  }
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos)
    throw bad_url(url, "a query or fragment is not allowed");
  if (authority.find('@') != std::string_view::npos)
    throw bad_url(url, "credentials in the URL are not allowed: give the key after a comma");
  if (authority.empty()) throw bad_url(url, "no host");
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw bad_url(url, "unclosed '[' in the host");
    e.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad_url(url, "garbage after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) throw bad_url(url, "empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    e.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) throw bad_url(url, "empty port");
    }
  }
  if (e.host.empty()) throw bad_url(url, "no host");
  if (!port.empty()) {
    if (!all_digits(port) || port.size() > 5 || std::stoi(std::string(port)) == 0 ||
        std::stoi(std::string(port)) > 65535)
      throw bad_url(url, "port must be 1 to 65535");
    e.port = port;
  } else {
    e.port = e.tls ? "443" : "80";
  }
  std::string p(path);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.size() >= 3 && p.compare(p.size() - 3, 3, "/v1") == 0) p.resize(p.size() - 3);
  if (p.find_first_of(" \t\r\n") != std::string::npos) throw bad_url(url, "whitespace in the path");
  e.base_path = std::move(p);
  return e;
}

std::vector<VoiceInfo> parse_voice_list(std::string_view body, int sample_rate) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    throw Error(ErrorCode::kEngineFailed, "the voice list is not JSON: " + printable(body));
  // {"voices": [...]}; a bare array is accepted too.
  const json* list = &doc;
  if (doc.is_object()) {
    const auto it = doc.find("voices");
    if (it == doc.end()) throw Error(ErrorCode::kEngineFailed, "the voice list has no 'voices'");
    list = &*it;
  }
  if (!list->is_array()) throw Error(ErrorCode::kEngineFailed, "'voices' is not a list");
  std::vector<VoiceInfo> voices;
  std::set<std::string> seen;
  for (const json& entry : *list) {
    VoiceInfo v;
    v.sample_rate = sample_rate;
    if (entry.is_string()) {
      v.name = entry.get<std::string>();
      v.display_name = v.name;
      v.language = "und";
    } else if (entry.is_object()) {
      // The id is what the upstream accepts as "voice"; a name alone is taken for it.
      // Lector says "display_name" and keeps "name" for its own short name.
      v.name = string_field(entry, "id");
      v.display_name = string_field(entry, "display_name");
      const std::string name = string_field(entry, "name");
      if (v.name.empty()) v.name = name;
      if (v.display_name.empty()) v.display_name = name.empty() ? v.name : name;
      v.language = language_of(entry);
      if (const auto g = entry.find("gender"); g != entry.end()) v.gender = gender_of(*g);
    } else {
      continue;
    }
    // A name with control characters or spaces could not be asked for in a query string.
    const bool usable = !v.name.empty() && v.name.size() <= 200 &&
                        std::none_of(v.name.begin(), v.name.end(), [](char c) {
                          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
                        });
    if (!usable || !seen.insert(v.name).second) continue;
    v.engine_id = v.name;
    voices.push_back(std::move(v));
  }
  return voices;
}

std::vector<VoiceInfo> openai_voices(int sample_rate) {
  // OpenAI documents its voices as optimized for English.
  static constexpr const char* kNames[] = {"alloy", "ash",   "ballad", "coral", "echo",
                                           "fable", "nova",  "onyx",   "sage",  "shimmer",
                                           "verse", "marin", "cedar"};
  std::vector<VoiceInfo> voices;
  for (const char* name : kNames) {
    std::string display = name;
    display[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(display[0])));
    voices.push_back({name, display, "en", Gender::kUnknown, name, sample_rate});
  }
  return voices;
}

std::string speech_request_body(std::string_view model, std::string_view voice,
                                std::string_view text, double speed) {
  const json body = {{"model", model},
                     {"input", text},
                     {"voice", voice},
                     {"response_format", "pcm"},
                     {"speed", speed}};
  return body.dump();
}

std::string upstream_error_message(std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded() && doc.is_object()) {
    for (const char* key : {"error", "detail", "message"}) {
      const auto it = doc.find(key);
      if (it == doc.end()) continue;
      if (it->is_string()) return printable(it->get<std::string>());
      if (it->is_object()) {
        const std::string m = string_field(*it, "message");
        if (!m.empty()) return printable(m);
      }
      // FastAPI's validation errors: a list of {"msg": ...}.
      if (it->is_array() && !it->empty() && it->front().is_object()) {
        const std::string m = string_field(it->front(), "msg");
        if (!m.empty()) return printable(m);
      }
      return printable(it->dump());
    }
  }
  return printable(body);
}

void PcmAssembler::feed(std::string_view bytes, std::vector<std::int16_t>& out) {
  out.clear();
  if (bytes.empty()) return;
  std::size_t i = 0;
  out.reserve((bytes.size() + 1) / 2);
  if (has_odd_) {
    const auto hi = static_cast<unsigned char>(bytes[0]);
    out.push_back(static_cast<std::int16_t>(static_cast<std::uint16_t>(odd_ | (hi << 8))));
    has_odd_ = false;
    i = 1;
  }
  for (; i + 1 < bytes.size(); i += 2) {
    const auto lo = static_cast<unsigned char>(bytes[i]);
    const auto hi = static_cast<unsigned char>(bytes[i + 1]);
    out.push_back(static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8))));
  }
  if (i < bytes.size()) {
    odd_ = static_cast<unsigned char>(bytes[i]);
    has_odd_ = true;
  }
}

void apply_volume(std::vector<std::int16_t>& pcm, double gain) noexcept {
  if (gain == 1.0) return;
  for (std::int16_t& s : pcm)
    s = static_cast<std::int16_t>(std::clamp(std::lround(s * gain), -32768L, 32767L));
}

}  // namespace lector::engine::remote
