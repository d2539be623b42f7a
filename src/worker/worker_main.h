#pragma once
// The body of `lector worker --engine NAME`: owns one engine, serves jobs from the server over
// the socket `fd` until the server closes it. Runs on the process's main thread only.

#include <string>

#include "engine/neural/neural_options.h"

namespace lector::worker {

// A remote engine's settings, from `lector worker --engine NAME --remote-url URL ...` and the
// environment (the key); `url` is empty for a built-in engine.
struct RemoteOptions {
  std::string url;
  std::string model;
  std::string key;
  int timeout_s = 30;
};

// Returns the process exit code.
// `neural`: the piper and kokoro engines' options (`lector worker --piper-voices ...`).
int run_worker(const std::string& engine_name, int fd, const RemoteOptions& remote = {},
               const engine::NeuralOptions& neural = {});

}  // namespace lector::worker
