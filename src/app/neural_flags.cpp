#include "app/neural_flags.h"

#include <filesystem>

namespace lector::app {
namespace {

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.string();
}

}  // namespace

void add_neural_flags(CLI::App& app, engine::NeuralOptions& options) {
  app.add_option("--onnxruntime", options.onnxruntime,
                 "ONNX Runtime for the neural engines: libonnxruntime.so itself or its folder "
                 "(default: the dynamic linker's search path)");
  app.add_option("--onnx-provider", options.provider,
                 "Where the neural engines run: cpu, or cuda (a CUDA-enabled runtime and a GPU)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--neural-jobs", options.jobs,
                 "Syntheses one neural worker runs at once, sharing one copy of each model "
                 "(0: one per CPU core)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--onnx-threads", options.threads, "ONNX Runtime threads per neural synthesis")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--piper-voices", options.piper_voices,
                 "Folder of Piper voices (NAME.onnx beside NAME.onnx.json, subfolders too); "
                 "runs the piper engine");
  app.add_option("--kokoro-model", options.kokoro_model,
                 "The Kokoro ONNX model file; runs the kokoro engine");
  app.add_option("--kokoro-voices", options.kokoro_voices,
                 "Kokoro voices: the voices .npz archive, or a folder of per-voice .bin files");
  app.add_option("--kokoro-config", options.kokoro_config,
                 "Kokoro's config.json with its vocabulary (default: beside the model)");
}

std::vector<std::string> neural_engine_names(const engine::NeuralOptions& options) {
  std::vector<std::string> names;
  if (!options.piper_voices.empty()) names.emplace_back("piper");
  if (!options.kokoro_model.empty()) names.emplace_back("kokoro");
  return names;
}

sched::SpawnSpec neural_spawn_spec(const engine::NeuralOptions& options) {
  sched::SpawnSpec spec;
  auto add = [&](const char* flag, const std::string& value) {
    if (value.empty()) return;
    spec.args.emplace_back(flag);
    spec.args.push_back(value);
  };
  // A bare library name ("libonnxruntime.so.1") is for the dynamic linker to find: only a
  // path with a folder in it is made absolute.
  add("--onnxruntime", options.onnxruntime.find('/') == std::string::npos
                           ? options.onnxruntime
                           : absolute(options.onnxruntime));
  add("--onnx-provider", options.provider);
  add("--neural-jobs", std::to_string(options.jobs));
  add("--onnx-threads", std::to_string(options.threads));
  add("--piper-voices", absolute(options.piper_voices));
  add("--kokoro-model", absolute(options.kokoro_model));
  add("--kokoro-voices", absolute(options.kokoro_voices));
  add("--kokoro-config", absolute(options.kokoro_config));
  return spec;
}

}  // namespace lector::app
