#pragma once
// Shared by the raw engine baselines of bench/run.py (raw_flite, raw_festival): their command
// line, the clocks and the JSON they print, which has the shape of raw_espeak's so that run.py
// reads all three the same way.
//
//   TOOL [--voice V] [--warmup W] FILE N
//
// One JSON object on stdout: sample_rate, voice, text_bytes, warmup, init_ms and one entry per
// measured run (first_callback_ms, ttfa_ms, wall_ms, cpu_ms, audio_s, callbacks).

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace raw {

inline double now_s(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Args {
  std::string voice;
  int warmup = 1;
  std::string file;
  int runs = 0;
  std::string text;  // the file's content
};

// Parses the command line and reads FILE; on a bad command line or an unreadable file it prints
// why on stderr and returns nothing (exit status 2). `--help` prints the usage and exits 0.
inline std::optional<Args> parse_args(int argc, char** argv, const char* default_voice) {
  Args a;
  a.voice = default_voice;
  std::vector<std::string> positional;
  const auto usage = [&] {
    std::fprintf(stderr, "usage: %s [--voice V] [--warmup W] FILE N\n", argv[0]);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--voice" && i + 1 < argc) {
      a.voice = argv[++i];
    } else if (s == "--warmup" && i + 1 < argc) {
      a.warmup = std::atoi(argv[++i]);
    } else if (s == "-h" || s == "--help") {
      usage();
      std::exit(0);
    } else {
      positional.push_back(s);
    }
  }
  if (positional.size() != 2) {
    usage();
    return std::nullopt;
  }
  a.file = positional[0];
  a.runs = std::atoi(positional[1].c_str());
  if (a.runs < 1 || a.warmup < 0) {
    usage();
    return std::nullopt;
  }
  std::ifstream in(a.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", argv[0], a.file.c_str());
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  a.text = ss.str();
  // A trailing newline from an editor is not text to speak.
  while (!a.text.empty() && (a.text.back() == '\n' || a.text.back() == '\r')) a.text.pop_back();
  return a;
}

struct Run {
  double first_callback_ms = -1;
  double ttfa_ms = -1;  // first callback that carried samples
  double wall_ms = 0;
  double cpu_ms = 0;
  double audio_s = 0;
  long long callbacks = 0;
};

inline std::string to_json(int sample_rate, const Args& a, double init_ms,
                           const std::vector<Run>& runs) {
  std::string voice;
  for (char c : a.voice)
    if (c != '"' && c != '\\') voice += c;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"sample_rate\": %d, \"voice\": \"%s\", \"text_bytes\": %zu, \"warmup\": %d, "
                "\"init_ms\": %.3f, \"runs\": [",
                sample_rate, voice.c_str(), a.text.size(), a.warmup, init_ms);
  std::string out = buf;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"first_callback_ms\": %.4f, \"ttfa_ms\": %.4f, \"wall_ms\": %.3f, "
                  "\"cpu_ms\": %.3f, \"audio_s\": %.4f, \"callbacks\": %lld}",
                  i == 0 ? "" : ", ", r.first_callback_ms, r.ttfa_ms, r.wall_ms, r.cpu_ms,
                  r.audio_s, r.callbacks);
    out += buf;
  }
  out += "]}\n";
  return out;
}

}  // namespace raw
