// ONNX Runtime through its C API, loaded with dlopen: the runtime scripts/onnxruntime.sh
// fetches (LECTOR_TEST_ONNXRUNTIME), and the clear errors of a missing runtime or model.

#include "engine/neural/onnx_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

namespace lector::engine::onnx {
namespace {

namespace fs = std::filesystem;

std::string runtime_path() {
#ifdef LECTOR_TEST_ONNXRUNTIME
  if (fs::exists(LECTOR_TEST_ONNXRUNTIME)) return LECTOR_TEST_ONNXRUNTIME;
#endif
  return {};
}

// The message of the lector::Error `f` throws, with its code checked.
template <typename F>
std::string error_of(F&& f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(OnnxRuntime, MissingLibrarySaysWhatWasTried) {
  const std::string msg = error_of(
      [] { Runtime::load("/nonexistent/libonnxruntime.so.1", "cpu", 1); }, ErrorCode::kUnavailable);
#ifdef LECTOR_HAVE_ONNXRUNTIME
  EXPECT_NE(msg.find("/nonexistent/libonnxruntime.so.1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--onnxruntime"), std::string::npos) << msg;
#else
  EXPECT_NE(msg.find("scripts/deps.sh"), std::string::npos) << msg;
#endif
}

TEST(OnnxRuntime, NotARuntime) {
#ifndef LECTOR_HAVE_ONNXRUNTIME
  GTEST_SKIP() << "built without ONNX Runtime's header";
#else
  // A real shared library without OrtGetApiBase.
  const std::string msg =
      error_of([] { Runtime::load("libm.so.6", "cpu", 1); }, ErrorCode::kUnavailable);
  EXPECT_NE(msg.find("OrtGetApiBase"), std::string::npos) << msg;
  EXPECT_NE(
      error_of([] { Runtime::load("libm.so.6", "tpu", 1); }, ErrorCode::kUnavailable).find("'tpu'"),
      std::string::npos);
#endif
}

TEST(OnnxRuntime, LoadsFromFileOrFolderAndRejectsBadModels) {
  const std::string lib = runtime_path();
  if (lib.empty()) GTEST_SKIP() << "no runtime: run scripts/onnxruntime.sh";
  auto rt = Runtime::load(lib, "cpu", 1);
  EXPECT_EQ(rt->library(), lib);
  EXPECT_EQ(rt->version().rfind("1.", 0), 0u) << rt->version();
  auto from_folder = Runtime::load(fs::path(lib).parent_path().string(), "cpu", 2);
  EXPECT_EQ(fs::path(from_folder->library()).filename(), "libonnxruntime.so.1");

  const fs::path dir = fs::temp_directory_path() / ("lector_onnx_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string missing = (dir / "missing.onnx").string();
  EXPECT_NE(error_of([&] { Session(rt, missing); }, ErrorCode::kUnavailable).find(missing),
            std::string::npos);
  const std::string corrupt = (dir / "corrupt.onnx").string();
  std::ofstream(corrupt) << "this is not a protobuf model";
  EXPECT_NE(error_of([&] { Session(rt, corrupt); }, ErrorCode::kUnavailable).find(corrupt),
            std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lector::engine::onnx
