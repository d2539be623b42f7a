#include "engine/neural/piper_engine.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "engine/neural/onnx_runtime.h"
#include "engine/neural/pcm16.h"
#include "engine/neural/phonemizer.h"
#include "engine/neural/piper_voice.h"

namespace lector::engine::neural {
namespace {

namespace fs = std::filesystem;

void log_line(const std::string& message) {
  std::fprintf(stderr, "lector worker: piper: %s\n", message.c_str());
}

// Piper decomposes espeak-ng's phonemes (NFD: "ç" -> "c" U+0327) before mapping them to ids.
std::u32string nfd(const std::u32string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) return text;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(text.data()), static_cast<int32_t>(text.size()));
  const icu::UnicodeString out = normalizer->normalize(in, status);
  if (U_FAILURE(status)) return text;
  std::u32string result(static_cast<std::size_t>(out.countChar32()), U'\0');
  out.toUTF32(reinterpret_cast<UChar32*>(result.data()), static_cast<int32_t>(result.size()),
              status);
  return result;
}

// A voice's model, loaded on first use and then shared by every thread.
struct Model {
  PiperVoice voice;
  std::mutex mutex;
  std::shared_ptr<onnx::Session> session;
  std::string output;  // the output tensor's name: "output", else the model's first
  std::string error;   // why loading failed; it is not retried
};

class PiperEngine final : public Engine {
 public:
  explicit PiperEngine(const NeuralOptions& options) : options_(options) {
    if (options.piper_voices.empty()) {
      reason_ = "no --piper-voices folder given";
      return;
    }
    try {
      runtime_ = onnx::Runtime::load(options.onnxruntime, options.provider, options.threads);
      phonemizer_ = std::make_unique<Phonemizer>();
    } catch (const std::exception& e) {
      reason_ = e.what();
      return;
    }
    log_line("ONNX Runtime " + runtime_->version() + " from " + runtime_->library());
    scan(options.piper_voices);
    if (models_.empty()) reason_ = "no usable Piper voice under " + options.piper_voices;
  }
  // The worker's log says why, whatever the server does with the reason.
  void log_availability() const {
    if (!reason_.empty()) log_line("unavailable: " + reason_);
  }

  std::string name() const override { return "piper"; }
  int sample_rate() const override {
    return models_.empty() ? 22050 : models_.front()->voice.sample_rate;
  }
  std::vector<VoiceInfo> voices() const override {
    return reason_.empty() ? infos_ : std::vector<VoiceInfo>{};
  }
  std::string unavailable() const override { return reason_; }
  Capabilities capabilities() const override {
    Capabilities c;
    c.default_workers = 1;
    // Measured 2026-11-30: 43 MiB VmRSS with ONNX Runtime 1.30.0 loaded and no model yet. Each
    // model adds roughly its weights once used (no real voice measured here).
    c.memory_mb_per_worker = 45;
    c.parallel_jobs = options_.jobs_or_cores();
    return c;
  }

  bool synthesize(const std::string& voice, const SynthParams& params, std::string_view text,
                  AudioSink& sink) override {
    if (!reason_.empty()) throw Error(ErrorCode::kUnavailable, "piper: " + reason_);
    const auto it = by_name_.find(voice);
    if (it == by_name_.end()) throw bad_parameter("voice", "unknown piper voice '" + voice + "'");
    Model& model = *models_[it->second.first];
    const std::shared_ptr<onnx::Session> session = load(model);
    const PiperVoice& v = model.voice;

    const std::u32string phonemes = nfd(phonemizer_->phonemize(v.espeak_voice, text));
    if (phonemes.empty()) return true;
    std::vector<std::int64_t> ids = piper_phoneme_ids(v, phonemes);
    const auto n = static_cast<std::int64_t>(ids.size());
    const std::int64_t lengths[1] = {n};
    const float scales[3] = {v.noise_scale, static_cast<float>(v.length_scale / params.speed),
                             v.noise_w};
    const std::int64_t sid[1] = {it->second.second};
    std::vector<onnx::Input> inputs = {
        {"input", onnx::Input::Type::kInt64, {1, n}, ids.data(), ids.size()},
        {"input_lengths", onnx::Input::Type::kInt64, {1}, lengths, 1},
        {"scales", onnx::Input::Type::kFloat, {3}, scales, 3},
    };
    if (session->has_input("sid")) {
      inputs.push_back({"sid", onnx::Input::Type::kInt64, {1}, sid, 1});
    }
    const std::vector<float> audio = session->run(inputs, model.output);

    // Handed on in chunks, as the sink's other engines do.
    constexpr std::size_t kChunk = 4096;
    std::vector<std::int16_t> pcm;
    const std::span<const float> all(audio);
    for (std::size_t i = 0; i < all.size(); i += kChunk) {
      to_pcm16(all.subspan(i, std::min(kChunk, all.size() - i)), params.volume, pcm);
      if (!sink.on_audio(pcm)) return false;
    }
    return true;
  }

 private:
  void scan(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      log_line("--piper-voices " + dir + " is not a folder");
      return;
    }
    std::vector<fs::path> onnx_files;
    for (auto entry = fs::recursive_directory_iterator(
             dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && entry != fs::recursive_directory_iterator(); entry.increment(ec)) {
      if (entry->path().extension() == ".onnx") onnx_files.push_back(entry->path());
    }
    std::sort(onnx_files.begin(), onnx_files.end());
    for (const fs::path& model : onnx_files) {
      const std::string name = model.stem().string();
      const fs::path config_path = model.string() + ".json";
      std::ifstream in(config_path);
      if (!in) {
        log_line("skipping voice " + name + ": " + config_path.string() + " is unreadable");
        continue;
      }
      std::stringstream text;
      text << in.rdbuf();
      auto m = std::make_unique<Model>();
      try {
        m->voice = parse_piper_config(text.str(), name, model.string());
      } catch (const std::exception& e) {
        log_line("skipping voice " + name + ": " + config_path.string() + ": " + e.what());
        continue;
      }
      if (!phonemizer_->has_voice(m->voice.espeak_voice)) {
        log_line("skipping voice " + name + ": espeak-ng has no voice '" + m->voice.espeak_voice +
                 "'");
        continue;
      }
      std::vector<VoiceInfo> infos = piper_voice_infos(m->voice);
      if (std::any_of(infos.begin(), infos.end(),
                      [&](const VoiceInfo& i) { return by_name_.count(i.name) > 0; })) {
        log_line("skipping voice " + name + ": another voice has its name");
        continue;
      }
      for (std::size_t i = 0; i < infos.size(); ++i) {
        const std::int64_t speaker = m->voice.speakers.empty() ? 0 : m->voice.speakers[i].second;
        by_name_[infos[i].name] = {models_.size(), speaker};
        infos_.push_back(std::move(infos[i]));
      }
      models_.push_back(std::move(m));
    }
  }

  std::shared_ptr<onnx::Session> load(Model& model) {
    std::lock_guard lock(model.mutex);
    if (model.session) return model.session;
    if (!model.error.empty()) throw Error(ErrorCode::kEngineFailed, model.error);
    try {
      auto session = std::make_shared<onnx::Session>(runtime_, model.voice.model_path);
      const auto& outputs = session->output_names();
      if (outputs.empty()) throw Error(ErrorCode::kEngineFailed, "the model has no output");
      model.output = std::find(outputs.begin(), outputs.end(), "output") != outputs.end()
                         ? "output"
                         : outputs.front();
      model.session = std::move(session);
    } catch (const std::exception& e) {
      model.error = "piper voice " + model.voice.name + ": " + e.what();
      log_line(model.error);
      throw Error(ErrorCode::kEngineFailed, model.error);
    }
    return model.session;
  }

  NeuralOptions options_;
  std::string reason_;
  std::shared_ptr<onnx::Runtime> runtime_;
  std::unique_ptr<Phonemizer> phonemizer_;
  std::vector<std::unique_ptr<Model>> models_;
  std::vector<VoiceInfo> infos_;
  // Voice name -> (index in models_, speaker id).
  std::map<std::string, std::pair<std::size_t, std::int64_t>> by_name_;
};

}  // namespace

std::unique_ptr<Engine> make_piper_engine(const NeuralOptions& options) {
  auto engine = std::make_unique<PiperEngine>(options);
  engine->log_availability();
  return engine;
}

}  // namespace lector::engine::neural
