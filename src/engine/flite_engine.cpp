#include "engine/flite_engine.h"

// Only flite.h declares itself extern "C"; the headers it pulls in do not.
extern "C" {
#include <flite/flite.h>
// flite.h first: cst_cg.h needs the types it brings in.
#include <flite/cst_cg.h>
}

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <exception>
#include <optional>

#include "core/error.h"
#include "engine/word_align.h"

extern "C" {
cst_voice* register_cmu_us_kal(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_slt(const char* voxdir);
}

namespace lector::engine {
namespace {

struct KnownVoice {
  const char* name;
  cst_voice* (*reg)(const char*);
  const char* display_name;
  const char* language;
  Gender gender;
};

// The CMU voices flite1-dev ships, minus cmu_time_awb (a talking clock that reads any other
// text as noise).
constexpr KnownVoice kKnownVoices[] = {
    {"kal", register_cmu_us_kal, "Kal (US English, male, diphone, 8 kHz)", "en-US", Gender::kMale},
    {"kal16", register_cmu_us_kal16, "Kal (US English, male, diphone)", "en-US", Gender::kMale},
    {"awb", register_cmu_us_awb, "AWB (Scottish English, male)", "en-GB", Gender::kMale},
    {"rms", register_cmu_us_rms, "RMS (US English, male)", "en-US", Gender::kMale},
    {"slt", register_cmu_us_slt, "SLT (US English, female)", "en-US", Gender::kFemale},
};

// The synthesis in progress on this thread. flite's utterance callback has no user pointer,
// so it finds the request here; the chunk callback gets it back through the streaming info.
struct Job {
  AudioSink* sink = nullptr;
  const FliteEngine::Voice* voice = nullptr;
  SynthParams params;
  bool stopped = false;
  std::exception_ptr error;  // thrown by the sink; rethrown once flite has returned
  std::vector<std::int16_t> scaled;
  std::optional<WordAligner> words;  // places the utterances' tokens in the job's text
  std::uint64_t samples = 0;         // samples delivered so far, over all utterances
  bool utterance_started = false;    // the current utterance's word marks were sent
};

thread_local Job* t_job = nullptr;

// Seconds into the utterance at which `word` (an item of the Token relation) starts: the end of
// the segment before its first segment. Negative when it has no segments.
float word_start(const cst_item* word) {
  const cst_item* segment =
      item_as(path_to_item(word, "R:SylStructure.daughter1.daughter1"), "Segment");
  if (segment == nullptr) return -1.0f;
  const cst_item* previous = item_prev(segment);
  return previous == nullptr ? 0.0f : item_feat_float(previous, "end");
}

// Word marks of utterance `u`, whose audio starts `base` samples into the job's. Segment end
// times are known once the waveform generator runs, which is when the first chunk of the
// utterance's audio arrives (cg voices time their segments inside wave synthesis), so this
// runs then, before that chunk reaches the sink.
void send_words(Job& job, const cst_utterance* u, int sample_rate) {
  cst_relation* tokens = utt_relation(u, "Token");
  if (tokens == nullptr || !job.words) return;
  for (const cst_item* t = relation_head(tokens); t != nullptr; t = item_next(t)) {
    const std::optional<WordSpan> span = job.words->place(item_feat_string(t, "name"));
    if (!span) continue;
    // A token read as several words ("$3.50") starts where its first spoken word does.
    for (const cst_item* w = item_daughter(t); w != nullptr; w = item_next(w)) {
      const float start = word_start(w);
      if (start < 0.0f) continue;
      job.sink->on_word(span->offset, span->length,
                        job.samples + static_cast<std::uint64_t>(
                                          std::lround(static_cast<double>(start) * sample_rate)));
      break;
    }
  }
}

int on_chunk(const cst_wave* w, int start, int size, int /*last*/, cst_audio_streaming_info* asi) {
  auto* job = static_cast<Job*>(asi->userdata);
  if (job->stopped) return CST_AUDIO_STREAM_STOP;
  if (!job->utterance_started) {
    job->utterance_started = true;
    try {
      send_words(*job, asi->utt, w->sample_rate);
    } catch (...) {
      job->error = std::current_exception();
      job->stopped = true;
      return CST_AUDIO_STREAM_STOP;
    }
  }
  if (size <= 0) return CST_AUDIO_STREAM_CONT;
  job->samples += static_cast<std::uint64_t>(size);
  std::span<const std::int16_t> pcm(w->samples + start, static_cast<std::size_t>(size));
  if (job->params.volume != 1.0) {
    job->scaled.resize(pcm.size());
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      const double v = std::round(pcm[i] * job->params.volume);
      job->scaled[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
    pcm = job->scaled;
  }
  try {
    if (job->sink->on_audio(pcm)) return CST_AUDIO_STREAM_CONT;
  } catch (...) {
    // Unwinding through flite's C frames is not an option: keep it for synthesize().
    job->error = std::current_exception();
  }
  job->stopped = true;
  return CST_AUDIO_STREAM_STOP;
}

// Runs for every utterance flite_ts_to_speech cuts from the text, before synthesis. Returning
// null ends the whole synthesis (flite stops reading the token stream).
cst_utterance* on_utterance(cst_utterance* u) {
  Job* job = t_job;
  if (job == nullptr || job->stopped) {
    delete_utterance(u);
    return nullptr;
  }
  cst_audio_streaming_info* asi = new_audio_streaming_info();  // freed with the utterance
  asi->asc = on_chunk;
  asi->userdata = job;
  asi->utt = u;  // the chunk callback reads the utterance's relations from it
  job->utterance_started = false;
  feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));

  const FliteEngine::Voice& v = *job->voice;
  feat_set_float(u->features, "duration_stretch",
                 static_cast<float>(v.duration_stretch / job->params.speed));
  if (v.f0_mean > 0.0f) {
    feat_set_float(u->features, "int_f0_target_mean",
                   static_cast<float>(v.f0_mean * job->params.pitch));
    feat_set_float(u->features, "int_f0_target_stddev",
                   static_cast<float>(v.f0_stddev * job->params.pitch));
  }
  return u;
}

// flite_ts_to_speech with cst_error() turned into a return value: flite's default on an
// internal error is exit(-1). Only trivially destructible locals live across the setjmp.
bool speak_guarded(cst_tokenstream* ts, cst_voice* voice) {
  jmp_buf env;
  jmp_buf* const previous = cst_errjmp;
  cst_errjmp = &env;
  if (setjmp(env) != 0) {
    cst_errjmp = previous;
    return false;
  }
  flite_ts_to_speech(ts, voice, "none");
  cst_errjmp = previous;
  return true;
}

}  // namespace

FliteEngine::FliteEngine() {
  flite_init();
  for (const KnownVoice& k : kKnownVoices) {
    cst_voice* v = k.reg(nullptr);
    if (v == nullptr) throw Error(ErrorCode::kUnavailable, std::string("flite voice ") + k.name);
    // The callback is the same function for every request; the request itself is found
    // through t_job, so the shared voice is written only here, once.
    feat_set(v->features, "utt_user_callback", uttfunc_val(on_utterance));

    Voice voice;
    voice.voice = v;
    voice.info.name = k.name;
    voice.info.display_name = k.display_name;
    voice.info.language = k.language;
    voice.info.gender = k.gender;
    voice.info.engine_id = get_param_string(v->features, "name", k.name);
    voice.info.sample_rate = get_param_int(v->features, "sample_rate", sample_rate());
    voice.duration_stretch = get_param_float(v->features, "duration_stretch", 1.0f);
    if (feat_present(v->features, "cg_db")) {
      const cst_cg_db* db = val_cg_db(feat_val(v->features, "cg_db"));
      voice.f0_mean = db->f0_mean;
      voice.f0_stddev = db->f0_stddev;
    }
    voice.f0_mean = get_param_float(v->features, "int_f0_target_mean", voice.f0_mean);
    voice.f0_stddev = get_param_float(v->features, "int_f0_target_stddev", voice.f0_stddev);
    voices_.push_back(std::move(voice));
  }
}

std::vector<VoiceInfo> FliteEngine::voices() const {
  std::vector<VoiceInfo> out;
  out.reserve(voices_.size());
  for (const Voice& v : voices_) out.push_back(v.info);
  return out;
}

const FliteEngine::Voice* FliteEngine::find_voice(const std::string& name) const {
  for (const Voice& v : voices_)
    if (v.info.name == name) return &v;
  return nullptr;
}

bool FliteEngine::synthesize(const std::string& voice, const SynthParams& params,
                             std::string_view text, AudioSink& sink) {
  const Voice* v = find_voice(voice);
  if (v == nullptr)
    throw Error(ErrorCode::kBadParameter, "unknown flite voice '" + voice + "'", "voice");
  if (t_job != nullptr) throw Error(ErrorCode::kInternal, "flite synthesis is not reentrant");

  // A NUL would end flite's C string early.
  std::string buffer(text);
  std::replace(buffer.begin(), buffer.end(), '\0', ' ');

  Job job;
  job.sink = &sink;
  job.voice = v;
  job.params = params;
  job.words.emplace(buffer);
  const cst_features* f = v->voice->features;
  cst_tokenstream* ts =
      ts_open_string(buffer.c_str(), get_param_string(f, "text_whitespace", nullptr),
                     get_param_string(f, "text_singlecharsymbols", nullptr),
                     get_param_string(f, "text_prepunctuation", nullptr),
                     get_param_string(f, "text_postpunctuation", nullptr));
  if (ts == nullptr) throw Error(ErrorCode::kEngineFailed, "flite could not read the text");

  t_job = &job;
  const bool ok = speak_guarded(ts, v->voice);  // closes ts
  t_job = nullptr;

  if (job.error) std::rethrow_exception(job.error);
  if (job.stopped) return false;
  if (!ok) throw Error(ErrorCode::kEngineFailed, "flite failed on this text");
  return true;
}

}  // namespace lector::engine
