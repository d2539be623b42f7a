#pragma once
// The neural engines' flags (engine/neural/neural_options.h): the same options on `lector
// serve`, where users give them, and on `lector worker`, where the server hands them to the
// piper and kokoro workers it spawns. Called once, on the main thread, before the server starts.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "engine/neural/neural_options.h"
#include "sched/worker_process.h"

namespace lector::app {

// Adds --onnxruntime, --onnx-provider, --neural-jobs, --onnx-threads, --piper-voices,
// --kokoro-model, --kokoro-voices and --kokoro-config to `app`, writing into `options`.
void add_neural_flags(CLI::App& app, engine::NeuralOptions& options);

// The neural engines the options configure, in the order they are offered: `piper` when
// --piper-voices is given, `kokoro` when --kokoro-model is.
std::vector<std::string> neural_engine_names(const engine::NeuralOptions& options);

// How the scheduler starts their workers: every option on the command line, paths made
// absolute (a worker resolves them exactly as the server would).
sched::SpawnSpec neural_spawn_spec(const engine::NeuralOptions& options);

}  // namespace lector::app
