#pragma once
// Where the kokoro engine's tests find ONNX Runtime and how they get their Kokoro-shaped test
// model (tests/neural/make_kokoro.py, run with Debian's /usr/bin/python3 and python3-onnx).

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lector::engine::neural::test {

inline const char* const kOnnxRuntimeHint =
    "set LECTOR_ONNXRUNTIME to libonnxruntime.so.1, or run scripts/deps.sh";

inline std::filesystem::path source_dir() {
  // CMake compiles with absolute paths: this file is <source>/tests/unit/kokoro_test_files.h.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

// The runtime library to load, or "" when none is found.
inline std::string onnxruntime_library() {
  std::error_code ec;
  if (const char* env = std::getenv("LECTOR_ONNXRUNTIME"); env != nullptr && *env != '\0')
    return env;
  for (const std::filesystem::path& candidate :
       {source_dir() / "third_party/onnxruntime/lib/libonnxruntime.so.1",
        std::filesystem::path("/tmp/ort/package/bin/napi-v6/linux/x64/libonnxruntime.so.1")})
    if (std::filesystem::exists(candidate, ec)) return candidate.string();
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
