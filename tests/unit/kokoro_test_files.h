#pragma once
// Where the kokoro engine's tests find ONNX Runtime and how they get their Kokoro-shaped test
// model (tests/neural/make_kokoro.py, run with Debian's /usr/bin/python3 and python3-onnx).

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lector::engine::neural::test {

inline const char* const kOnnxRuntimeHint =
    "set LECTOR_ONNXRUNTIME to libonnxruntime.so.1, or run scripts/onnxruntime.sh";

inline std::filesystem::path source_dir() {
  return LECTOR_SOURCE_DIR;
}

// The runtime library to load (LECTOR_ONNXRUNTIME, else the one scripts/onnxruntime.sh
// fetched), or "" when there is none.
inline std::string onnxruntime_library() {
  std::error_code ec;
  if (const char* env = std::getenv("LECTOR_ONNXRUNTIME"); env != nullptr && *env != '\0')
    return env;
  if (std::filesystem::exists(LECTOR_TEST_ONNXRUNTIME, ec)) return LECTOR_TEST_ONNXRUNTIME;
  return {};
}

// Runs make_kokoro.py into a new temporary folder and returns it; on failure sets `*skip` to
// the reason (python3-onnx or python3-numpy missing).
inline std::string make_kokoro_files(std::string* skip) {
  char pattern[] = "/tmp/lector-kokoro-model-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    *skip = "cannot create a temporary folder";
    return {};
  }
  const std::string dir = pattern;
  const std::string command = "/usr/bin/python3 '" +
                              (source_dir() / "tests/neural/make_kokoro.py").string() + "' '" +
                              dir + "' >&2";
  if (std::system(command.c_str()) != 0)
    *skip = "tests/neural/make_kokoro.py failed (needs Debian's python3-onnx and python3-numpy)";
  return dir;
}

}  // namespace lector::engine::neural::test
