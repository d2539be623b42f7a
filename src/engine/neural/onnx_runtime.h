#pragma once
// ONNX Runtime, loaded at run time through its versioned C API
// (OrtGetApiBase()->GetApi(ORT_API_VERSION)), so that Lector builds and runs without it and any
// runtime at least as new as the header it was built against works. Only the neural workers
// load it; nothing in the server process does.
//
// Thread safety: a Runtime and a Session may be used from any number of threads at once
// (ONNX Runtime's Run is thread-safe on one session).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct OrtApi;
struct OrtEnv;
struct OrtSession;
struct OrtSessionOptions;
struct OrtMemoryInfo;

namespace lector::engine::onnx {

class Runtime {
 public:
  // Loads the library from `path` (a file, or a folder holding libonnxruntime.so*; empty: the
  // dynamic linker's search path) and creates the runtime's environment. `provider` is "cpu"
  // or "cuda"; `threads` the intra-op threads of each run. Throws lector::Error(kUnavailable)
  // saying what was tried and why it failed (no library, no OrtGetApiBase, API too old,
  // provider missing).
  static std::shared_ptr<Runtime> load(const std::string& path, const std::string& provider,
                                       int threads);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The runtime's own version string, e.g. "1.30.0".
  std::string version() const;
  // The file the library was loaded from.
  const std::string& library() const { return library_; }

  const OrtApi& api() const { return *api_; }
  OrtEnv* env() const { return env_; }
  // Session options every session of this runtime is created with.
  OrtSessionOptions* session_options() const { return options_; }
  OrtMemoryInfo* cpu_memory() const { return memory_; }

 private:
  Runtime() = default;
  void* handle_ = nullptr;
  const OrtApi* api_ = nullptr;
  OrtEnv* env_ = nullptr;
  OrtSessionOptions* options_ = nullptr;
  OrtMemoryInfo* memory_ = nullptr;
  std::string library_;
};

// One input of a run. `data` must stay valid during run().
struct Input {
  enum class Type { kInt64, kFloat };
  std::string name;
  Type type = Type::kInt64;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;
  std::size_t elements = 0;
};

// A loaded model. Loading reads the whole file once; every run shares the weights.
class Session {
 public:
  // Throws lector::Error(kUnavailable) naming the file when the model is missing or invalid.
  Session(std::shared_ptr<Runtime> runtime, const std::string& model_path);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::vector<std::string>& input_names() const { return inputs_; }
  const std::vector<std::string>& output_names() const { return outputs_; }
  bool has_input(const std::string& name) const;

  // Runs the model and returns output `output` (float32) flattened. Thread-safe. Throws
  // lector::Error(kInternal) with the runtime's message on failure.
  std::vector<float> run(std::span<const Input> inputs, const std::string& output) const;

 private:
  std::shared_ptr<Runtime> runtime_;
  OrtSession* session_ = nullptr;
  std::vector<std::string> inputs_;
  std::vector<std::string> outputs_;
};

}  // namespace lector::engine::onnx
