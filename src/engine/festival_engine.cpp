#include "engine/festival_engine.h"

#include <festival.h>
#include <text.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include "core/error.h"
#include "engine/festival_text.h"
#include "engine/word_align.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LECTOR_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define LECTOR_LSAN 1
#endif
#endif

// In libFestival but not in its headers.
EST_Wave* get_utt_wave(EST_Utterance* u);

// SIOD's stack bookkeeping (libestools): its garbage collector scans the C stack from
// stack_start_ptr down to the current frame for LISP pointers, and its depth check allows
// stack_size bytes below it.
extern LISP* stack_start_ptr;
extern char* stack_limit_ptr;
extern long stack_size;

namespace lector::engine {

// festival_prelude.scm, embedded at build time (cmake/embed.cmake).
std::string_view festival_prelude();

namespace {

using festival_text::display_name;
using festival_text::format_number;
using festival_text::is_plain_name;
using festival_text::lower;
using festival_text::plain_punctuation;
using festival_text::to_bcp47;
using festival_text::to_gender;
using festival_text::to_voice_charset;

// Festival itself leaks under LeakSanitizer (a bare festival_initialize + two SynthText calls
// report 220 KB; resident memory stays flat over thousands of utterances, so the lost blocks
// are few and one-off). ASan builds do not track festival's allocations; ours around it are
// small and covered by the other engines' tests.
class IgnoreFestivalLeaks {
#ifdef LECTOR_LSAN
  __lsan::ScopedDisabler disabler_;
#endif
};

// SIOD heap, in cells of 24 bytes, allocated and touched at start-up. All Debian voices
// together keep about 1.2 M cells live; festival's own default of 10 M costs 240 MB and makes
// every collection three times slower.
constexpr int kHeapCells = 4'000'000;

// Festival's stack start is set inside festival_initialize, in a frame that is gone by the time
// we synthesize, so frames above it would not be scanned. Like SIOD's own REPL, point it at a
// local of the frame that makes the festival calls. `local` must outlive those calls.
void anchor_stack(LISP* local) {
  stack_start_ptr = local;
  stack_limit_ptr = reinterpret_cast<char*>(local) - stack_size;
}

struct Voice {
  VoiceInfo info;
  std::string coding;  // voice.description's coding, lower case; empty for English voices
};

struct Job {
  AudioSink* sink = nullptr;
  double volume = 1.0;
  int rate = 0;       // resample to this rate; 0 keeps the voice's (used while probing)
  int seen_rate = 0;  // rate of the last utterance's wave
  bool stopped = false;
  int failed_utterances = 0;  // festival raised an error on them; they were skipped
  bool delivered = false;     // some audio reached the sink
  std::exception_ptr error;   // thrown by the sink; rethrown once festival has returned
  std::vector<std::int16_t> pcm;
  std::optional<WordAligner> words;  // places the utterances' tokens in the job's text
  std::uint64_t samples = 0;         // samples delivered so far, over all utterances
};

// Festival is one interpreter per process, so its state here is per process too.
struct Festival {
  std::thread::id thread;
  std::vector<Voice> voices;
  std::string current_voice;
  // Inputs of the lector.speak call in progress.
  Job* job = nullptr;
  double pitch = 1.0;
  EST_Features pristine_params;                      // Param after festival_initialize
  std::map<std::string, EST_Features> voice_params;  // Param as each voice first left it
  EST_String text;
  std::unique_ptr<EST_TokenStream> stream;
};

Festival* g_festival = nullptr;  // never freed: festival itself cannot be shut down

// Seconds into the utterance at which `word` starts: the end of the segment before its first
// segment. Negative when it has no segments (a word the voice does not pronounce).
double word_start(EST_Item* word) {
  EST_Item* syllable = daughter1(as(word, "SylStructure"));
  EST_Item* segment = syllable != nullptr ? as(daughter1(syllable), "Segment") : nullptr;
  if (segment == nullptr) return -1.0;
  // iprev/inext, not prev/next: festival's headers bring std's into scope.
  EST_Item* previous = iprev(segment);
  return previous == nullptr ? 0.0 : previous->F("end", 0.0);
}

// Word marks of utterance `u`, whose audio starts `base` samples into the job's audio at
// `sample_rate`. Words are reported per token, placed in the text as the client wrote it;
// a token read as several words ("$3.50") starts where its first spoken word does.
void send_words(Job& job, EST_Utterance& u, std::uint64_t base, int sample_rate) {
  if (!job.words || !u.relation_present("Token")) return;
  // inext, not next_item: the latter walks down into each token's words.
  for (EST_Item* t = u.relation("Token")->head(); t != nullptr; t = inext(t)) {
    const std::optional<WordSpan> span = job.words->place(t->S("name", "").str());
    if (!span) continue;
    for (EST_Item* w = daughter1(t); w != nullptr; w = inext(w)) {
      const double start = word_start(w);
      if (start < 0.0) continue;
      job.sink->on_word(span->offset, span->length,
                        base + static_cast<std::uint64_t>(std::lround(start * sample_rate)));
      break;
    }
  }
}

// (lector.deliver UTT): hands a synthesized utterance's samples to the job's sink.
LISP lector_deliver(LISP utt) {
  Job* job = g_festival->job;
  if (job == nullptr || job->stopped) return utt;
  EST_Utterance* u = get_c_utt(utt);
  if (!u->relation_present("Wave") || u->relation("Wave")->head() == nullptr) return utt;
  EST_Wave* w = get_utt_wave(u);
  if (w == nullptr || w->num_samples() == 0) return utt;
  if (job->rate > 0 && w->sample_rate() != job->rate) w->resample(job->rate);
  job->seen_rate = w->sample_rate();

  job->pcm.resize(static_cast<std::size_t>(w->num_samples()));
  w->copy_channel(0, job->pcm.data());
  if (job->volume != 1.0) {
    for (std::int16_t& s : job->pcm) {
      const double v = std::round(s * job->volume);
      s = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
  }
  // An utterance can be minutes long; keep frames small and let the sink stop us in between.
  // Its words are marked before any of its audio, as the sink's contract asks.
  const std::uint64_t base = job->samples;
  job->samples += job->pcm.size();
  try {
    send_words(*job, *u, base, w->sample_rate());
  } catch (...) {
    job->error = std::current_exception();
    job->stopped = true;
    return utt;
  }
  const std::size_t chunk = static_cast<std::size_t>(std::max(w->sample_rate(), 1000) / 5);
  try {
    for (std::size_t off = 0; off < job->pcm.size() && !job->stopped; off += chunk) {
      const std::size_t n = std::min(chunk, job->pcm.size() - off);
      job->delivered = true;
      if (!job->sink->on_audio({job->pcm.data() + off, n})) job->stopped = true;
    }
  } catch (...) {
    // Unwinding through the Scheme interpreter is not an option: keep it for synthesize().
    job->error = std::current_exception();
    job->stopped = true;
  }
  return utt;
}

// (lector.scale_f0 UTT): an after_analysis hook, run between F0 target planning and waveform
// generation. Voices that synthesize from the Target relation (diphone voices) follow it.
LISP lector_scale_f0(LISP utt) {
  const double pitch = g_festival->pitch;
  EST_Utterance* u = get_c_utt(utt);
  if (pitch == 1.0 || !u->relation_present("Target")) return utt;
  for (EST_Item* i = u->relation("Target")->head(); i != nullptr; i = next_item(i))
    if (i->f_present("f0")) i->set("f0", static_cast<float>(i->F("f0") * pitch));
  return utt;
}

// (lector.restore_params NAME): Param as voice NAME left it when first selected, or as
// festival_initialize left it if NAME has not been selected yet.
LISP lector_restore_params(LISP name) {
  const auto it = g_festival->voice_params.find(get_c_string(name));
  *feats(siod_get_lval("Param", "Param is unset")) =
      it != g_festival->voice_params.end() ? it->second : g_festival->pristine_params;
  return NIL;
}

// (lector.capture_params NAME): records Param as voice NAME's.
LISP lector_capture_params(LISP name) {
  g_festival->voice_params[get_c_string(name)] = *feats(siod_get_lval("Param", "Param is unset"));
  return NIL;
}

// (lector.empty_wave UTT): gives UTT a zero-length waveform.
LISP lector_empty_wave(LISP utt) {
  EST_Utterance* u = get_c_utt(utt);
  // Owned by the utterance from here (est_val hands it to festival's garbage collector).
  auto* w = new EST_Wave(0, 1, 16000);
  // NOLINTNEXTLINE(clang-analyzer-cplusplus.NewDeleteLeaks): est_val passes ownership on.
  u->create_relation("Wave")->append()->set_val("wave", est_val(w));
  return utt;
}

void on_token(EST_Item* /*token*/) {}

// Called by tts_chunk_stream for each utterance it cuts from the text. Each one is evaluated
// under its own error handler, so that a word a voice cannot pronounce (festival raises an
// error from its letter-to-sound rules) loses that utterance, not the rest of the text.
void on_utterance(LISP utt) {
  Job* job = g_festival->job;
  if (utt == NIL || job == nullptr || job->stopped) return;
  if (get_c_utt(utt)->relation("Token")->length() == 0) return;
  siod_set_lval("lector.utt", utt);
  if (!festival_eval_command("(lector.deliver (utt.synth lector.utt))")) ++job->failed_utterances;
  siod_set_lval("lector.utt", NIL);
}

// (lector.speak): festival's tts_file loop over g_festival->text instead of a file.
LISP lector_speak() {
  Festival& f = *g_festival;
  // Owned outside this frame: a Scheme error longjmps past it.
  f.stream = std::make_unique<EST_TokenStream>();
  EST_TokenStream& ts = *f.stream;
  ts.open_string(f.text);
  LISP v;
  ts.set_WhiteSpaceChars((v = siod_get_lval("token.whitespace", nullptr)) == NIL
                             ? EST_Token_Default_WhiteSpaceChars
                             : EST_String(get_c_string(v)));
  ts.set_SingleCharSymbols((v = siod_get_lval("token.singlecharsymbols", nullptr)) == NIL
                               ? EST_Token_Default_SingleCharSymbols
                               : EST_String(get_c_string(v)));
  ts.set_PunctuationSymbols((v = siod_get_lval("token.punctuation", nullptr)) == NIL
                                ? EST_Token_Default_PunctuationSymbols
                                : EST_String(get_c_string(v)));
  ts.set_PrePunctuationSymbols((v = siod_get_lval("token.prepunctuation", nullptr)) == NIL
                                   ? EST_Token_Default_PrePunctuationSymbols
                                   : EST_String(get_c_string(v)));
  LISP eou_tree = siod_get_lval("eou_tree", "No end of utterance tree set");
  // The chunker returns the last utterance unfinished; at the end of the text it is complete.
  LISP last = tts_chunk_stream(ts, on_token, on_utterance, eou_tree, NIL);
  on_utterance(last);
  ts.close();
  return NIL;
}

bool eval(const std::string& command) {
  return festival_eval_command(command.c_str()) != 0;
}

// A festival string-valued description field ("" when absent or nil).
std::string field(LISP alist, const char* key) {
  LISP entry = siod_assoc_str(key, alist);
  if (entry == NIL || cdr(entry) == NIL) return {};
  LISP value = car(cdr(entry));
  if (value == NIL || !(SYMBOLP(value) || STRINGP(value))) return {};
  return get_c_string(value);
}

// Selects `name` (a plain name from voice.list) unless it is already current. A voice that
// fails halfway leaves festival's settings mixed, so nothing counts as current after a failure.
bool select_voice(Festival& f, const std::string& name) {
  if (f.current_voice == name) return true;
  f.current_voice.clear();
  if (!eval("(lector.select_voice '" + name + ")")) return false;
  f.current_voice = name;
  return true;
}

// Runs one synthesis of `text` (already in the voice's charset) with the selected voice.
// Returns false when festival raised an error.
bool speak(Festival& f, Job& job, double speed, double pitch, const std::string& text) {
  if (!eval("(lector.set_params " + format_number(1.0 / speed) + " " + format_number(speed) + ")"))
    return false;
  f.text = EST_String(text.c_str());
  f.pitch = pitch;
  f.job = &job;
  const bool ok = eval("(lector.speak)");
  f.job = nullptr;
  f.text = EST_String();
  return ok;
}

class RateProbe final : public AudioSink {
 public:
  bool on_audio(std::span<const std::int16_t> pcm) override {
    samples += pcm.size();
    return true;
  }
  std::size_t samples = 0;
};

// Initialises festival once per process and lists the voices that work. `anchor` is a local of
// the caller's frame (see anchor_stack).
void init_festival(LISP* anchor) {
  if (g_festival != nullptr) {
    if (g_festival->thread != std::this_thread::get_id())
      throw Error(ErrorCode::kInternal, "festival was initialised on another thread");
    if (g_festival->voices.empty())
      throw Error(ErrorCode::kUnavailable, "festival has no usable voice");
    return;
  }
  festival_initialize(1, kHeapCells);
  anchor_stack(anchor);  // festival_initialize pointed it into its own, finished, frame
  auto* f = new Festival;
  f->thread = std::this_thread::get_id();
  g_festival = f;

  init_subr_0("lector.speak", lector_speak, "(lector.speak)\n  Lector: speak the pending text.");
  init_subr_1("lector.deliver", lector_deliver,
              "(lector.deliver UTT)\n  Lector: send UTT's waveform to the current request.");
  f->pristine_params = *feats(siod_get_lval("Param", "Param is unset"));
  init_subr_1("lector.restore_params", lector_restore_params,
              "(lector.restore_params NAME)\n  Lector: Param as voice NAME needs it.");
  init_subr_1("lector.capture_params", lector_capture_params,
              "(lector.capture_params NAME)\n  Lector: record Param for voice NAME.");
  init_subr_1("lector.empty_wave", lector_empty_wave,
              "(lector.empty_wave UTT)\n  Lector: give UTT an empty waveform.");
  init_subr_1("lector.scale_f0", lector_scale_f0,
              "(lector.scale_f0 UTT)\n  Lector: scale UTT's F0 targets by the request's pitch.");
  // lector's Scheme helpers (festival_prelude.scm says what each does and why), as one form so
  // that the file's forms run in order under one error handler.
  if (!eval("(begin\n" + std::string(festival_prelude()) + "\n)"))
    throw Error(ErrorCode::kUnavailable, "festival rejected lector's helpers");

  if (!eval("(set! lector.voices (voice.list))"))
    throw Error(ErrorCode::kUnavailable, "festival could not list its voices");
  std::vector<std::string> names;
  for (LISP l = siod_get_lval("lector.voices", nullptr); l != NIL; l = cdr(l)) {
    const std::string name = get_c_string(car(l));
    if (is_plain_name(name)) names.push_back(name);
  }

  for (const std::string& name : names) {
    // Loading the voice is what makes festival know its description.
    if (!select_voice(*f, name)) continue;
    if (!eval("(set! lector.desc (voice.description '" + name + "))")) continue;
    LISP desc = siod_get_lval("lector.desc", nullptr);
    if (desc == NIL || cdr(desc) == NIL) continue;
    LISP props = car(cdr(desc));

    Voice v;
    v.info.name = name;
    v.info.engine_id = name;
    const std::string language = field(props, "language");
    const std::string dialect = field(props, "dialect");
    v.coding = lower(field(props, "coding"));
    v.info.language = to_bcp47(language, dialect);
    v.info.gender = to_gender(field(props, "gender"));
    // festvox-suopuhe-lj is a female speaker whose description says male.
    if (name == "suo_fi_lj_diphone") v.info.gender = Gender::kFemale;
    v.info.display_name = display_name(language, dialect, v.info.gender, name);

    // A voice's output rate is whatever its waveform generator makes: ask it. A word every
    // front end reads, in the voice's charset.
    RateProbe probe;
    Job job;
    job.sink = &probe;
    for (const char* text : {"1.", "a."}) {
      if (speak(*f, job, 1.0, 1.0, to_voice_charset(text, v.coding)) && job.seen_rate > 0) break;
    }
    if (job.seen_rate <= 0) continue;  // loads but cannot speak: leave it out
    v.info.sample_rate = job.seen_rate;
    f->voices.push_back(std::move(v));
  }
  std::sort(f->voices.begin(), f->voices.end(),
            [](const Voice& a, const Voice& b) { return a.info.name < b.info.name; });
  if (f->voices.empty()) throw Error(ErrorCode::kUnavailable, "festival has no usable voice");
}

}  // namespace

FestivalEngine::FestivalEngine() {
  [[maybe_unused]] const IgnoreFestivalLeaks ignore_leaks;
  LISP anchor = NIL;
  anchor_stack(&anchor);
  init_festival(&anchor);
  // festival's garbage collector keeps the address of `anchor` as the base of the stack it
  // scans; every later festival call runs below this frame's caller on the same thread (the
  // worker's main loop), which is what it needs. Not a dangling reference in practice.
}  // NOLINT(clang-analyzer-core.StackAddressEscape)

std::vector<VoiceInfo> FestivalEngine::voices() const {
  std::vector<VoiceInfo> out;
  for (const Voice& v : g_festival->voices) out.push_back(v.info);
  return out;
}

bool FestivalEngine::synthesize(const std::string& voice, const SynthParams& params,
                                std::string_view text, AudioSink& sink) {
  Festival& f = *g_festival;
  if (f.thread != std::this_thread::get_id())
    throw Error(ErrorCode::kInternal, "festival called from a thread other than its own");
  if (f.job != nullptr) throw Error(ErrorCode::kInternal, "festival synthesis is not reentrant");
  const auto it = std::find_if(f.voices.begin(), f.voices.end(),
                               [&](const Voice& v) { return v.info.name == voice; });
  if (it == f.voices.end())
    throw Error(ErrorCode::kBadParameter, "unknown festival voice '" + voice + "'", "voice");

  [[maybe_unused]] const IgnoreFestivalLeaks ignore_leaks;
  LISP anchor = NIL;
  anchor_stack(&anchor);
  if (!select_voice(f, it->info.name))
    throw Error(ErrorCode::kEngineFailed, "festival could not load voice '" + voice + "'");
  Job job;
  job.sink = &sink;
  job.volume = params.volume;
  job.rate = it->info.sample_rate;
  // Festival's tokens are in the voice's charset, after plain_punctuation: compare each code
  // point of the text as festival reads it.
  const std::string coding = it->coding;
  job.words.emplace(text, [&coding](std::string_view cp) {
    return to_voice_charset(plain_punctuation(cp), coding);
  });
  const bool ok = speak(f, job, params.speed, params.pitch,
                        to_voice_charset(plain_punctuation(text), it->coding));
  if (job.error) std::rethrow_exception(job.error);
  if (job.stopped) return false;
  // Utterances a voice cannot read at all (Latin text for the Russian voice) give no audio,
  // as other engines do for unreadable text, rather than failing the request.
  if (!ok) throw Error(ErrorCode::kEngineFailed, "festival failed on this text");
  return true;
}

}  // namespace lector::engine
