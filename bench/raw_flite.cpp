// raw_flite: the raw flite baseline of bench/run.py's per-engine first-audio table.
//
// Synthesizes the text of FILE N times in this one thread the way Lector's flite worker does
// (src/engine/flite_engine.cpp): a token stream over the text, flite_ts_to_speech with output
// "none", and an utterance callback that attaches flite's streaming audio callback, so voices
// that can (clustergen: slt, awb, rms) hand out audio while an utterance is synthesized. The
// audio is discarded. Per run: the time to the first callback and to the first one carrying
// samples (= time to first audio), wall and CPU time, audio seconds; printed as JSON like
// raw_espeak's (raw_common.h).
//
//   raw_flite [--voice kal|kal16|awb|rms|slt] [--warmup W] FILE N
//
// flite cannot share a binary with festival (their libraries define the same symbols), hence a
// tool of its own.

extern "C" {
#include <flite/flite.h>
}

#include <cstring>

#include "raw_common.h"

extern "C" {
cst_voice* register_cmu_us_kal(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_slt(const char* voxdir);
}

namespace {

struct RunState {
  double start = 0;  // CLOCK_MONOTONIC when flite_ts_to_speech was called
  raw::Run run;
  long long samples = 0;
  int sample_rate = 0;
};

RunState* g_run = nullptr;

int on_chunk(const cst_wave* w, int /*start*/, int size, int /*last*/,
             cst_audio_streaming_info* /*asi*/) {
  if (g_run == nullptr) return CST_AUDIO_STREAM_STOP;
  const double t_ms = (raw::now_s(CLOCK_MONOTONIC) - g_run->start) * 1e3;
  ++g_run->run.callbacks;
  if (g_run->run.first_callback_ms < 0) g_run->run.first_callback_ms = t_ms;
  if (size > 0) {
    if (g_run->run.ttfa_ms < 0) g_run->run.ttfa_ms = t_ms;
    g_run->samples += size;
    g_run->sample_rate = w->sample_rate;
  }
  return CST_AUDIO_STREAM_CONT;
}

// What Lector's on_utterance does minus its per-request prosody (speed, pitch 1.0 leave the
// voice's own values, which flite uses when the features are absent).
cst_utterance* on_utterance(cst_utterance* u) {
  cst_audio_streaming_info* asi = new_audio_streaming_info();  // freed with the utterance
  asi->asc = on_chunk;
  feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));
  return u;
}

cst_voice* load_voice(const std::string& name) {
  if (name == "kal") return register_cmu_us_kal(nullptr);
  if (name == "kal16") return register_cmu_us_kal16(nullptr);
  if (name == "awb") return register_cmu_us_awb(nullptr);
  if (name == "rms") return register_cmu_us_rms(nullptr);
  if (name == "slt") return register_cmu_us_slt(nullptr);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = raw::parse_args(argc, argv, "slt");
  if (!args) return 2;

  const double init_t0 = raw::now_s(CLOCK_MONOTONIC);
  flite_init();
  cst_voice* voice = load_voice(args->voice);
  if (voice == nullptr) {
    std::fprintf(stderr, "raw_flite: unknown voice %s\n", args->voice.c_str());
    return 2;
  }
  feat_set(voice->features, "utt_user_callback", uttfunc_val(on_utterance));
  const double init_ms = (raw::now_s(CLOCK_MONOTONIC) - init_t0) * 1e3;
  const cst_features* f = voice->features;

  std::vector<raw::Run> runs;
  int rate = 0;
  for (int i = 0; i < args->warmup + args->runs; ++i) {
    cst_tokenstream* ts =
        ts_open_string(args->text.c_str(), get_param_string(f, "text_whitespace", nullptr),
                       get_param_string(f, "text_singlecharsymbols", nullptr),
                       get_param_string(f, "text_prepunctuation", nullptr),
                       get_param_string(f, "text_postpunctuation", nullptr));
    if (ts == nullptr) {
      std::fprintf(stderr, "raw_flite: flite could not read the text\n");
      return 1;
    }
    RunState st;
    g_run = &st;
    const double cpu0 = raw::now_s(CLOCK_PROCESS_CPUTIME_ID);
    st.start = raw::now_s(CLOCK_MONOTONIC);
    flite_ts_to_speech(ts, voice, "none");  // closes ts
    st.run.wall_ms = (raw::now_s(CLOCK_MONOTONIC) - st.start) * 1e3;
    st.run.cpu_ms = (raw::now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e3;
    g_run = nullptr;
    if (st.samples == 0) {
      std::fprintf(stderr, "raw_flite: no audio for this text\n");
      return 1;
    }
    rate = st.sample_rate;
    st.run.audio_s = static_cast<double>(st.samples) / rate;
    if (i >= args->warmup) runs.push_back(st.run);
  }
  std::fputs(raw::to_json(rate, *args, init_ms, runs).c_str(), stdout);
  return 0;
}
