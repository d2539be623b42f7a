// raw_festival: the raw festival baseline of bench/run.py's per-engine first-audio table.
//
// Initialises festival as Lector's festival worker does (src/engine/festival_engine.cpp:
// festival_initialize with init files and a 4 M-cell heap, the SIOD stack anchored in the frame
// that makes the calls), selects a voice, and synthesizes the text of FILE N times in this one
// thread with festival_text_to_wave. Festival hands out a whole utterance's wave at once, so
// first audio = the call returning with the wave; FILE should hold one utterance (the first
// fragment Lector cuts). Prints JSON like raw_espeak's (raw_common.h).
//
//   raw_festival [--voice NAME] [--warmup W] FILE N      (default cmu_us_slt_arctic_hts)
//
// festival cannot share a binary with flite (their libraries define the same symbols), hence a
// tool of its own.

#include <festival.h>

#include "raw_common.h"

// SIOD's stack bookkeeping (libestools), as in festival_engine.cpp: its garbage collector scans
// the C stack from stack_start_ptr down to the current frame.
extern LISP* stack_start_ptr;
extern char* stack_limit_ptr;
extern long stack_size;

namespace {

// Lector's kHeapCells: festival's default of 10 M cells makes every collection slower, and the
// baseline must not be slower than Lector for a reason of ours.
constexpr int kHeapCells = 4'000'000;

bool plain_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = raw::parse_args(argc, argv, "cmu_us_slt_arctic_hts");
  if (!args) return 2;
  if (!plain_name(args->voice)) {
    std::fprintf(stderr, "raw_festival: bad voice name %s\n", args->voice.c_str());
    return 2;
  }

  const double init_t0 = raw::now_s(CLOCK_MONOTONIC);
  festival_initialize(1, kHeapCells);
  // festival_initialize anchored the stack in its own, finished, frame; every later call runs
  // below this one.
  LISP anchor = NIL;
  stack_start_ptr = &anchor;
  stack_limit_ptr = reinterpret_cast<char*>(&anchor) - stack_size;
  if (!festival_eval_command(EST_String(("(voice_" + args->voice + ")").c_str()))) {
    std::fprintf(stderr, "raw_festival: festival could not select voice %s\n", args->voice.c_str());
    return 1;
  }
  const double init_ms = (raw::now_s(CLOCK_MONOTONIC) - init_t0) * 1e3;

  const EST_String text(args->text.c_str());
  std::vector<raw::Run> runs;
  int rate = 0;
  for (int i = 0; i < args->warmup + args->runs; ++i) {
    EST_Wave wave;
    const double cpu0 = raw::now_s(CLOCK_PROCESS_CPUTIME_ID);
    const double t0 = raw::now_s(CLOCK_MONOTONIC);
    const int ok = festival_text_to_wave(text, wave);
    const double wall_ms = (raw::now_s(CLOCK_MONOTONIC) - t0) * 1e3;
    const double cpu_ms = (raw::now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e3;
    if (!ok || wave.num_samples() == 0) {
      std::fprintf(stderr, "raw_festival: no audio for this text\n");
      return 1;
    }
    rate = wave.sample_rate();
    raw::Run r;
    r.first_callback_ms = r.ttfa_ms = r.wall_ms = wall_ms;
    r.cpu_ms = cpu_ms;
    r.audio_s = static_cast<double>(wave.num_samples()) / rate;
    r.callbacks = 1;
    if (i >= args->warmup) runs.push_back(r);
  }
  std::fputs(raw::to_json(rate, *args, init_ms, runs).c_str(), stdout);
  // Festival cannot be shut down; the process exit frees it.
  std::fflush(stdout);
  std::_Exit(0);
}
