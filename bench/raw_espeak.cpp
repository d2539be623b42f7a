// raw_espeak: the raw libespeak-ng baseline for bench/run.py.
//
// Initialises libespeak-ng in AUDIO_OUTPUT_SYNCHRONOUS mode, selects a voice (en-us) with the
// parameters Lector uses (rate 175, pitch 50, volume 100), and synthesizes the text of a file
// N times in this one thread, i.e. on one core, with the audio discarded. Per run it measures
// the time from the espeak_Synth call to the first callback and to the first callback carrying
// audio, the wall time of the whole call, the CPU time of the process
// (CLOCK_PROCESS_CPUTIME_ID) and the audio seconds produced, and prints one JSON object.
//
//   raw_espeak [--voice V] [--warmup W] FILE N
//
// W unmeasured runs (default 1) come first, so voice data and caches are loaded as they would
// be in a long-running worker.

#include <espeak-ng/speak_lib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

double now_s(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct RunState {
  double start = 0;             // CLOCK_MONOTONIC at the espeak_Synth call
  double first_callback = -1;   // seconds after start; -1 = not yet
  double first_audio = -1;
  long long samples = 0;
  long long callbacks = 0;
};

RunState* g_run = nullptr;

int on_synth(short* wav, int numsamples, espeak_EVENT* /*events*/) {
  if (g_run == nullptr) return 0;
  const double t = now_s(CLOCK_MONOTONIC) - g_run->start;
  ++g_run->callbacks;
  if (g_run->first_callback < 0) g_run->first_callback = t;
  if (wav != nullptr && numsamples > 0) {
    if (g_run->first_audio < 0) g_run->first_audio = t;
    g_run->samples += numsamples;
  }
  return 0;  // keep going
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--voice V] [--warmup W] FILE N\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string voice = "en-us";
  int warmup = 1;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--voice" && i + 1 < argc) {
      voice = argv[++i];
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = std::atoi(argv[++i]);
    } else if (a == "-h" || a == "--help") {
      usage(argv[0]);
      return 0;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) return usage(argv[0]);
  const int runs = std::atoi(positional[1].c_str());
  if (runs < 1 || warmup < 0) return usage(argv[0]);

  std::ifstream in(positional[0], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "raw_espeak: cannot read %s\n", positional[0].c_str());
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();

  const double init_t0 = now_s(CLOCK_MONOTONIC);
  const int rate =
      espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0) {
    std::fprintf(stderr, "raw_espeak: espeak_Initialize failed\n");
    return 1;
  }
  espeak_SetSynthCallback(on_synth);
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
    std::fprintf(stderr, "raw_espeak: unknown voice %s\n", voice.c_str());
    return 1;
  }
  espeak_SetParameter(espeakRATE, 175, 0);
  espeak_SetParameter(espeakPITCH, 50, 0);
  espeak_SetParameter(espeakVOLUME, 100, 0);
  const double init_ms = (now_s(CLOCK_MONOTONIC) - init_t0) * 1e3;

  std::string out = "{\"sample_rate\": " + std::to_string(rate) + ", \"voice\": \"" + voice +
                    "\", \"text_bytes\": " + std::to_string(text.size()) +
                    ", \"warmup\": " + std::to_string(warmup) + ", \"init_ms\": ";
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.3f", init_ms);
  out += buf;
  out += ", \"runs\": [";

  for (int i = 0; i < warmup + runs; ++i) {
    RunState st;
    g_run = &st;
    const double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    st.start = now_s(CLOCK_MONOTONIC);
    const espeak_ERROR rc = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                         espeakCHARS_UTF8 | espeakENDPAUSE, nullptr, nullptr);
    const double wall = now_s(CLOCK_MONOTONIC) - st.start;
    const double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    g_run = nullptr;
    if (rc != EE_OK) {
      std::fprintf(stderr, "raw_espeak: espeak_Synth failed (%d)\n", static_cast<int>(rc));
      return 1;
    }
    if (i < warmup) continue;
    std::snprintf(buf, sizeof buf,
                  "%s{\"first_callback_ms\": %.4f, \"ttfa_ms\": %.4f, \"wall_ms\": %.3f, "
                  "\"cpu_ms\": %.3f, \"audio_s\": %.4f, \"callbacks\": %lld}",
                  i == warmup ? "" : ", ", st.first_callback * 1e3, st.first_audio * 1e3,
                  wall * 1e3, cpu * 1e3, static_cast<double>(st.samples) / rate, st.callbacks);
    out += buf;
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
  espeak_Terminate();
  return 0;
}
