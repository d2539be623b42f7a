#include "engine/neural/kokoro_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/error.h"
#include "engine/neural/kokoro_tokens.h"
#include "engine/neural/kokoro_voices.h"
#include "engine/neural/onnx_runtime.h"
#include "engine/neural/pcm16.h"
#include "engine/neural/phonemizer.h"

namespace lector::engine::neural {
namespace {

namespace fs = std::filesystem;

constexpr int kSampleRate = 24000;

struct Language {
  char letter;
  const char* espeak;  // phonemizer voice
  const char* bcp47;
  const char* label;  // for display names
};

// Kokoro's voice names start with a language letter (kokoro_engine.h says which are offered).
constexpr Language kLanguages[] = {
    {'a', "en-us", "en-US", "American English"},
    {'b', "en-gb", "en-GB", "British English"},
    {'e', "es", "es", "Spanish"},
    {'f', "fr-fr", "fr-FR", "French"},
    {'h', "hi", "hi", "Hindi"},
    {'i', "it", "it", "Italian"},
    {'p', "pt-br", "pt-BR", "Brazilian Portuguese"},
};

// The worker's stderr goes to the server's log.
void log_line(const std::string& message) {
  std::fprintf(stderr, "lector worker: kokoro: %s\n", message.c_str());
}

const Language* language_of(const std::string& voice) {
  for (const Language& l : kLanguages)
    if (!voice.empty() && voice[0] == l.letter) return &l;
  return nullptr;
}

// "af_heart" -> "Heart (American English)".
std::string display_name(const std::string& voice, const Language& language) {
  const std::size_t underscore = voice.find('_');
  std::string given = underscore == std::string::npos ? voice : voice.substr(underscore + 1);
  for (char& c : given)
    if (c == '_') c = ' ';
  if (!given.empty() && given[0] >= 'a' && given[0] <= 'z')
    given[0] = static_cast<char>(given[0] - 'a' + 'A');
  return given + " (" + language.label + ")";
}

class KokoroEngine final : public Engine {
 public:
  explicit KokoroEngine(const NeuralOptions& options) {
    // One process holds the model and runs parallel_jobs syntheses on threads; an unavailable
    // engine needs no more than one process to say so either.
    capabilities_.default_workers = 1;
    try {
      load(options);
    } catch (const Error& e) {
      reason_ = e.what();
      voices_.clear();
      styles_.clear();
      // The log says why, whatever the server does with the reason.
      log_line("unavailable: " + reason_);
    }
  }

  std::string name() const override { return "kokoro"; }
  int sample_rate() const override { return kSampleRate; }
  std::vector<VoiceInfo> voices() const override { return voices_; }
  std::string unavailable() const override { return reason_; }
  Capabilities capabilities() const override { return capabilities_; }

  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override {
    if (!reason_.empty()) throw Error(ErrorCode::kUnavailable, "kokoro: " + reason_);
    const auto it = std::find_if(styles_.begin(), styles_.end(),
                                 [&](const KokoroVoiceData& v) { return v.name == voice; });
    if (it == styles_.end())
      throw Error(ErrorCode::kBadParameter, "unknown kokoro voice '" + voice + "'", "voice");
    const Language& language = *language_of(voice);
    const std::u32string phonemes = phonemizer_->phonemize(language.espeak, text);
    const float speed = static_cast<float>(params.speed);

    for (const std::vector<std::int64_t>& run : kokoro_runs(vocab_, phonemes)) {
      if (!sink.keep_going()) return false;
      std::vector<std::int64_t> ids;
      ids.reserve(run.size() + 2);
      ids.push_back(0);
      ids.insert(ids.end(), run.begin(), run.end());
      ids.push_back(0);
      const std::span<const float> style = it->style(run.size());
      const onnx::Input inputs[] = {
          {ids_input_,
           onnx::Input::Type::kInt64,
           {1, static_cast<std::int64_t>(ids.size())},
           ids.data(),
           ids.size()},
          {"style",
           onnx::Input::Type::kFloat,
           {1, static_cast<std::int64_t>(kKokoroStyleDim)},
           style.data(),
           style.size()},
          {"speed", onnx::Input::Type::kFloat, {1}, &speed, 1},
      };
      const std::vector<float> wave = session_->run(inputs, output_);
      std::vector<std::int16_t> pcm;
      to_pcm16(wave, params.volume, pcm);
      if (!pcm.empty() && !sink.on_audio(pcm)) return false;
    }
    return true;
  }

 private:
  void load(const NeuralOptions& options) {
    if (options.kokoro_model.empty())
      throw Error(ErrorCode::kUnavailable, "no model given (--kokoro-model)");
    std::error_code ec;
    if (!fs::is_regular_file(options.kokoro_model, ec))
      throw Error(ErrorCode::kUnavailable, options.kokoro_model + ": no such model file");
    const std::string config =
        options.kokoro_config.empty()
            ? (fs::path(options.kokoro_model).parent_path() / "config.json").string()
            : options.kokoro_config;
    // The cheap checks first, so that a missing file is reported before a slow model load.
    vocab_ = KokoroVocab::load(config);
    KokoroVoiceSet set = load_kokoro_voices(options.kokoro_voices);
    for (const std::string& problem : set.problems) log_line("voice skipped: " + problem);
    for (KokoroVoiceData& data : set.voices) {
      const Language* language = language_of(data.name);
      if (language == nullptr) {
        log_line("voice " + data.name +
                 " skipped: its language is not one espeak-ng phonemizes as Kokoro was trained");
        continue;
      }
      VoiceInfo info;
      info.name = data.name;
      info.display_name = display_name(data.name, *language);
      info.language = language->bcp47;
      info.gender = data.name.size() > 1 && data.name[1] == 'f'   ? Gender::kFemale
                    : data.name.size() > 1 && data.name[1] == 'm' ? Gender::kMale
                                                                  : Gender::kUnknown;
      info.engine_id = data.name;
      info.sample_rate = kSampleRate;
      voices_.push_back(std::move(info));
      styles_.push_back(std::move(data));
    }
    if (voices_.empty())
      throw Error(ErrorCode::kUnavailable,
                  options.kokoro_voices + ": no usable voice" +
                      (set.problems.empty() ? std::string() : " (" + set.problems.front() + ")"));

    // The model is loaded here, once per worker process, rather than on first use: a corrupt
    // model then shows as the engine's reason in /api/engines at start, and no user's first
    // request waits for the load.
    runtime_ = onnx::Runtime::load(options.onnxruntime, options.provider, options.threads);
    log_line("ONNX Runtime " + runtime_->version() + " from " + runtime_->library());
    session_ = std::make_unique<onnx::Session>(runtime_, options.kokoro_model);
    // The first input is `input_ids` in the Kokoro-82M ONNX export, `tokens` in kokoro-onnx's
    // earlier ones.
    ids_input_ = session_->has_input("input_ids") ? "input_ids" : "tokens";
    for (const char* input : {ids_input_.c_str(), "style", "speed"})
      if (!session_->has_input(input))
        throw Error(
            ErrorCode::kUnavailable,
            options.kokoro_model + ": not a Kokoro model (no input '" + std::string(input) + "')");
    const auto& outputs = session_->output_names();
    if (outputs.empty())
      throw Error(ErrorCode::kUnavailable, options.kokoro_model + ": the model has no output");
    output_ = std::find(outputs.begin(), outputs.end(), "waveform") != outputs.end() ? "waveform"
                                                                                     : outputs[0];
    phonemizer_ = std::make_unique<Phonemizer>();

    capabilities_.parallel_jobs = options.jobs_or_cores();
    // A sizing hint: the weights, the voices, and the rest of the worker (the binary,
    // libespeak-ng, ONNX Runtime). Measured 2026-11-30 (VmRSS, idle, ONNX Runtime 1.30, the
    // test model): 55 MiB with 2 voices, 82 MiB with 42 of a 54-voice archive.
    constexpr int kWorkerMib = 55;
    const auto mib = [&](const std::string& path) {
      std::error_code size_ec;
      const auto size = fs::is_regular_file(path, size_ec) ? fs::file_size(path, size_ec) : 0;
      return static_cast<int>((size_ec ? 0 : size) >> 20);
    };
    capabilities_.memory_mb_per_worker =
        kWorkerMib + mib(options.kokoro_model) +
        static_cast<int>(styles_.size() * kKokoroStyleRows * kKokoroStyleDim * 4 >> 20);
  }

  std::string reason_;
  std::vector<VoiceInfo> voices_;
  std::vector<KokoroVoiceData> styles_;  // same order as voices_
  KokoroVocab vocab_;
  std::shared_ptr<onnx::Runtime> runtime_;
  std::unique_ptr<onnx::Session> session_;
  std::unique_ptr<Phonemizer> phonemizer_;
  std::string ids_input_;
  std::string output_;
  Capabilities capabilities_;
};

}  // namespace

std::unique_ptr<Engine> make_kokoro_engine(const NeuralOptions& options) {
  return std::make_unique<KokoroEngine>(options);
}

}  // namespace lector::engine::neural
