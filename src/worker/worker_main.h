#pragma once
// The body of `lector worker --engine NAME`: owns one engine, serves jobs from the server over
// the socket `fd` until the server closes it. Runs on the process's main thread only.

#include <string>

namespace lector::worker {

// Returns the process exit code.
int run_worker(const std::string& engine_name, int fd);

}  // namespace lector::worker
