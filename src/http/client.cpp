#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <string_view>

#include "api/captioned_client.h"
#include "api/error_body.h"

namespace lector::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

std::string url_encode(const std::string& s) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct Url {
  std::string host, port, base_path;
};

Url parse_url(std::string url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) == 0)
    url = url.substr(scheme.size());
  else if (url.find("://") != std::string::npos)
    throw std::invalid_argument("only http:// servers are supported");
  Url u;
  const auto slash = url.find('/');
  std::string hostport = url.substr(0, slash);
  u.base_path = slash == std::string::npos ? "" : url.substr(slash);
  while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    u.host = hostport;
    u.port = "80";
  } else {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  }
  return u;
}

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

bool write_file(const std::string& path, const std::string& bytes) {
  FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f == stdout) return std::fflush(f) == 0 && ok;
  return std::fclose(f) == 0 && ok;
}

// --captions: the whole audio and its words from POST /dev/captioned_speech, then the audio
// file and the WebVTT file (one cue per word).
int run_captioned(const SayOptions& o, const Url& url) {
  // WAV unless --format, as without captions (OpenAI's own default would be MP3).
  api::CaptionedRequest request{o.text,
                                o.engine,
                                o.voice,
                                o.speed,
                                o.pitch,
                                o.volume,
                                o.format.empty() ? "wav" : o.format,
                                o.sample_rate};
  std::string body;
  try {
    body = api::captioned_request_json(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector say: %s\n", e.what());
    return 2;
  }
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  try {
    tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(url.host, url.port));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector say: cannot connect to %s: %s\n", o.server.c_str(), e.what());
    return 2;
  }
  try {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post,
                                           url.base_path + "/dev/captioned_speech", 11};
    req.set(bhttp::field::host, url.host);
    req.set(bhttp::field::user_agent, "lector-say");
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    bhttp::read(stream, buffer, parser);
    const auto& res = parser.get();
    if (res.result() != bhttp::status::ok) {
      std::fprintf(stderr, "lector say: server answered %u: %s\n", res.result_int(),
                   api::error_message_of(res.body()).c_str());
      return 1;
    }
    const std::optional<api::CaptionedAnswer> answer = api::parse_captioned_answer(res.body());
    if (!answer) throw std::runtime_error("the server's captioned answer is malformed");
    if (!write_file(o.output, answer->audio)) throw std::runtime_error("cannot write " + o.output);
    if (!write_file(o.captions, api::webvtt(answer->words)))
      throw std::runtime_error("cannot write " + o.captions);
    std::fprintf(stderr, "lector say: %zu bytes of audio, %zu words in %s\n", answer->audio.size(),
                 answer->words.size(), o.captions.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector say: %s\n", e.what());
    return 2;
  }
}

}  // namespace

int run_say(const SayOptions& o) {
  using Clock = std::chrono::steady_clock;
  Url url;
  try {
    url = parse_url(o.server);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector say: --server: %s\n", e.what());
    return 2;
  }
  if (!o.captions.empty()) return run_captioned(o, url);
  std::string target = url.base_path + "/tts?text=" + url_encode(o.text);
  auto add = [&](const char* name, const std::string& v) {
    if (!v.empty()) target += std::string("&") + name + "=" + url_encode(v);
  };
  add("engine", o.engine);
  add("voice", o.voice);
  add("speed", o.speed);
  add("pitch", o.pitch);
  add("volume", o.volume);
  add("format", o.format);
  add("sample_rate", o.sample_rate);

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  const auto start = Clock::now();
  try {
    tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(url.host, url.port));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector say: cannot connect to %s: %s\n", o.server.c_str(), e.what());
    return 2;
  }

  FILE* out = nullptr;
  try {
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, url.host);
    req.set(bhttp::field::user_agent, "lector-say");
    bhttp::write(stream, req);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);
    bhttp::read_header(stream, buffer, parser);
    if (parser.get().result() != bhttp::status::ok) {
      std::string body;
      char chunk[4096];
      while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        beast::error_code ec;
        bhttp::read(stream, buffer, parser, ec);
        if (ec && ec != bhttp::error::need_buffer) break;
        body.append(chunk, sizeof chunk - parser.get().body().size);
      }
      const std::string message = api::error_message_of(body);
      std::fprintf(stderr, "lector say: server answered %u: %s\n", parser.get().result_int(),
                   message.c_str());
      return 1;
    }

    // Only a WAV body has the header this client fixes up and reads the rate from.
    const bool wav = parser.get()[bhttp::field::content_type].starts_with("audio/wav");
    const std::size_t header_bytes = wav ? 44 : 0;
    const bool to_stdout = o.output == "-";
    out = to_stdout ? stdout : std::fopen(o.output.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "lector say: cannot write %s\n", o.output.c_str());
      return 2;
    }
    std::size_t total = 0;
    int rate = 0;
    unsigned char header[44];
    Clock::time_point first_audio{};
    char chunk[65536];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      beast::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec && ec != bhttp::error::need_buffer) throw beast::system_error(ec);
      const std::size_t n = sizeof chunk - parser.get().body().size;
      for (std::size_t i = 0; i < n && total + i < 44; ++i)
        header[total + i] = static_cast<unsigned char>(chunk[i]);
      if (total <= header_bytes && total + n > header_bytes && first_audio == Clock::time_point{})
        first_audio = Clock::now();
      total += n;
      if (n > 0 && std::fwrite(chunk, 1, n, out) != n) throw std::runtime_error("write failed");
      if (to_stdout) std::fflush(out);
    }
    const auto end = Clock::now();
    if (!wav) {
      if (!to_stdout) std::fclose(out);
      out = nullptr;
      std::fprintf(stderr, "lector say: first bytes after %.1f ms; %zu bytes of %s in %.3f s\n",
                   first_audio == Clock::time_point{}
                       ? -1.0
                       : std::chrono::duration<double, std::milli>(first_audio - start).count(),
                   total, std::string(parser.get()[bhttp::field::content_type]).c_str(),
                   std::chrono::duration<double>(end - start).count());
      return 0;
    }
    if (total >= 44)
      rate = static_cast<int>(header[24] | header[25] << 8 | header[26] << 16 | header[27] << 24);
    const std::size_t data = total >= 44 ? total - 44 : 0;
    // A file can hold exact sizes, which every player understands.
    if (!to_stdout && total >= 44) {
      put_u32(header + 4, static_cast<std::uint32_t>(data + 36));
      put_u32(header + 40, static_cast<std::uint32_t>(data));
      std::fseek(out, 0, SEEK_SET);
      std::fwrite(header, 1, 44, out);
    }
    if (!to_stdout) std::fclose(out);
    out = nullptr;

    const double audio_s = rate > 0 ? static_cast<double>(data) / 2.0 / rate : 0.0;
    const double total_s = std::chrono::duration<double>(end - start).count();
    const double ttfa_ms =
        first_audio == Clock::time_point{}
            ? -1.0
            : std::chrono::duration<double, std::milli>(first_audio - start).count();
    std::fprintf(stderr,
                 "lector say: first audio after %.1f ms; %.2f s of audio at %d Hz in %.3f s "
                 "(real-time factor %.4f)\n",
                 ttfa_ms, audio_s, rate, total_s, audio_s > 0 ? total_s / audio_s : 0.0);
    return 0;
  } catch (const std::exception& e) {
    if (out != nullptr && out != stdout) std::fclose(out);
    std::fprintf(stderr, "lector say: %s\n", e.what());
    return 2;
  }
}

}  // namespace lector::http
