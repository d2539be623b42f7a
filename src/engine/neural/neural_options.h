#pragma once
// Settings of the neural engines (piper, kokoro), from `lector serve` flags, handed to their
// worker processes on the command line (`lector worker --engine piper --piper-voices DIR ...`).
// A plain value, header only.

#include <algorithm>
#include <string>
#include <thread>

namespace lector::engine {

struct NeuralOptions {
  // --onnxruntime PATH: libonnxruntime.so* itself, or a folder holding it. Empty: the dynamic
  // linker's search path ("libonnxruntime.so.1", then "libonnxruntime.so").
  std::string onnxruntime;
  // --onnx-provider: "cpu" (default) or "cuda" (needs a CUDA-enabled runtime and a GPU).
  std::string provider = "cpu";
  // --neural-jobs: syntheses one worker process runs at once, on threads sharing one copy of
  // each model; the scheduler gives the worker that many slots. 0: one per CPU core.
  int jobs = 0;
  // `jobs`, or one per CPU core when it is 0.
  int jobs_or_cores() const {
    return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  // --onnx-threads: ONNX Runtime intra-op threads per synthesis.
  int threads = 1;
  // --piper-voices DIR: Piper voices as their project publishes them (NAME.onnx and
  // NAME.onnx.json side by side; subfolders are scanned too).
  std::string piper_voices;
  // --kokoro-model FILE: the Kokoro ONNX model.
  std::string kokoro_model;
  // --kokoro-voices PATH: the voices archive (.npz of 510x1x256 float32 arrays, one per voice)
  // or a folder of per-voice .bin files (510*256 little-endian float32, as kokoro-js ships them).
  std::string kokoro_voices;
  // --kokoro-config FILE: the model's config.json, whose "vocab" maps phonemes to token ids.
  // Empty: config.json in the model's folder.
  std::string kokoro_config;
};

}  // namespace lector::engine
