#pragma once
// A worker process whose engine runs several syntheses at once (capabilities().parallel_jobs
// > 1, the neural engines): the main thread reads the server's frames and hands each
// Synthesize to one of `jobs` job threads; a Cancel sets the flag of the job it names, which
// that job's sink reads at its next chunk. Every frame goes out whole under one send mutex.
//
// Threading: run() is called on the worker's main thread; the job threads it starts call
// Engine::synthesize concurrently and end before it returns (unless a job never returns, as
// the test engine's [hang]: the server kills such a worker).

#include "engine/engine.h"

namespace lector::worker {

// Serves jobs on `fd` until the server closes it; returns the process exit code. The Hello
// frame has been sent already.
int run_parallel(engine::Engine& engine, int fd, int jobs);

}  // namespace lector::worker
