// lector-decode FORMAT [RATE] [--wav OUT.wav] < bytes
//
// Decodes a response body with the codec's reference library (tests/unit/audio_decode.h) and
// prints one JSON line:
//   {"format":"mp3","sample_rate":24000,"channels":1,"samples":24576,"seconds":1.024,
//    "valid":true}
// "samples" is the length in sample frames at "sample_rate". Opus decodes at 48 kHz whatever
// it was encoded from: "sample_rate" is the stream's declared input rate (OpusHead), the line
// adds "decoded_rate":48000 and "end_of_stream" (whether the last Ogg page carries the flag),
// and --wav writes the 48 kHz audio. FORMAT pcm (s16le mono) needs RATE.
// Exit status: 0 when the bytes decode, 1 when they do not ({"valid":false,"error":...} on
// stdout, the reason on stderr), 2 on a usage error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "audio_decode.h"

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int usage() {
  std::cerr << "usage: lector-decode wav|pcm|mp3|opus|flac [RATE] [--wav OUT.wav] < bytes\n"
               "  RATE is required for pcm (s16le mono) and ignored otherwise\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string format, wav_out;
  int rate = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--wav" && i + 1 < argc) {
      wav_out = argv[++i];
    } else if (format.empty()) {
      format = arg;
    } else if (rate == 0) {
      rate = std::atoi(arg.c_str());
      if (rate <= 0) return usage();
    } else {
      return usage();
    }
  }
  if (format.empty() || (format == "pcm" && rate <= 0)) return usage();

  std::ios::sync_with_stdio(false);
  const std::string bytes((std::istreambuf_iterator<char>(std::cin)),
                          std::istreambuf_iterator<char>());
  lector::testing::Decoded d;
  try {
    d = lector::testing::decode(format, bytes, rate);
  } catch (const lector::testing::DecodeError& e) {
    std::cout << "{\"format\":" << json_string(format) << ",\"bytes\":" << bytes.size()
              << ",\"valid\":false,\"error\":" << json_string(e.what()) << "}\n";
    std::cerr << "lector-decode: " << e.what() << "\n";
    return 1;
  }

  const double seconds = d.seconds();
  const auto samples = std::llround(seconds * d.sample_rate);
  std::ostringstream line;
  line.precision(6);
  line << std::fixed << "{\"format\":" << json_string(d.format)
       << ",\"sample_rate\":" << d.sample_rate << ",\"channels\":" << d.channels
       << ",\"samples\":" << samples << ",\"seconds\":" << seconds << ",\"bytes\":" << bytes.size();
  if (d.format == "opus")
    line << ",\"decoded_rate\":" << d.decoded_rate
         << ",\"end_of_stream\":" << (d.end_of_stream ? "true" : "false");
  line << ",\"valid\":true}";
  std::cout << line.str() << "\n";

  if (!wav_out.empty()) {
    std::ofstream f(wav_out, std::ios::binary);
    f << lector::testing::wav_file_header(d.decoded_rate, d.channels, d.frames());
    for (const std::int16_t s : d.pcm) {
      const auto u = static_cast<std::uint16_t>(s);
      f.put(static_cast<char>(u & 0xff));
      f.put(static_cast<char>(u >> 8));
    }
    if (!f) {
      std::cerr << "lector-decode: cannot write " << wav_out << "\n";
      return 2;
    }
  }
  return 0;
}
