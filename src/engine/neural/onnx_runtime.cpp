#include "engine/neural/onnx_runtime.h"

#include "core/error.h"

#ifdef LECTOR_HAVE_ONNXRUNTIME

#include <dlfcn.h>
#include <onnxruntime_c_api.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

namespace lector::engine::onnx {
namespace {

// Turns a failed call's status into lector::Error(code) with the runtime's message, and
// releases the status.
void check(const OrtApi& api, OrtStatus* status, ErrorCode code, const std::string& what) {
  if (status == nullptr) return;
  std::string message = what + ": " + api.GetErrorMessage(status);
  api.ReleaseStatus(status);
  throw Error(code, message);
}

// Candidates for --onnxruntime PATH: the file itself, or the usual names in a folder (the
// versioned name first: that is what the official builds and the npm package carry).
std::vector<std::string> library_candidates(const std::string& path) {
  static constexpr const char* kNames[] = {"libonnxruntime.so.1", "libonnxruntime.so"};
  std::vector<std::string> out;
  if (path.empty()) {
    for (const char* name : kNames) out.emplace_back(name);
    return out;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return {path};
  for (const char* name : kNames) out.push_back((std::filesystem::path(path) / name).string());
  // A folder holding only the fully versioned file (libonnxruntime.so.1.30.0).
  std::vector<std::string> versioned;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("libonnxruntime.so.", 0) == 0) versioned.push_back(entry.path().string());
  }
  std::sort(versioned.begin(), versioned.end());
  out.insert(out.end(), versioned.begin(), versioned.end());
  return out;
}

}  // namespace

std::shared_ptr<Runtime> Runtime::load(const std::string& path, const std::string& provider,
                                       int threads) {
  if (provider != "cpu" && provider != "cuda") {
    throw Error(ErrorCode::kUnavailable,
                "unknown ONNX Runtime provider '" + provider + "' (cpu or cuda)");
  }
  std::shared_ptr<Runtime> rt(new Runtime);
  std::string tried;
  for (const std::string& candidate : library_candidates(path)) {
    // RTLD_LOCAL: the runtime's own dependencies (protobuf, abseil) stay out of our namespace.
    rt->handle_ = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (rt->handle_ != nullptr) {
      rt->library_ = candidate;
      break;
    }
    // One thread loads the runtime (the worker's, at start-up).
    const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe)
    tried += (tried.empty() ? "" : "; ") + std::string(why != nullptr ? why : candidate);
  }
  if (rt->handle_ == nullptr) {
    throw Error(ErrorCode::kUnavailable,
                "ONNX Runtime not found (" + tried +
                    "); give its libonnxruntime.so with --onnxruntime PATH");
  }
  using GetApiBase = const OrtApiBase* (*)();
  auto* get_base = reinterpret_cast<GetApiBase>(dlsym(rt->handle_, "OrtGetApiBase"));
  if (get_base == nullptr) {
    throw Error(ErrorCode::kUnavailable, rt->library_ + " has no OrtGetApiBase: not ONNX Runtime");
  }
  const OrtApiBase* base = get_base();
  rt->api_ = base->GetApi(ORT_API_VERSION);
  if (rt->api_ == nullptr) {
    throw Error(ErrorCode::kUnavailable,
                "ONNX Runtime " + std::string(base->GetVersionString()) + " at " + rt->library_ +
                    " is older than the API Lector was built for (" +
                    std::to_string(ORT_API_VERSION) + "); install a newer one");
  }
  const OrtApi& api = *rt->api_;
  check(api, api.CreateEnv(ORT_LOGGING_LEVEL_ERROR, "lector", &rt->env_), ErrorCode::kUnavailable,
        "ONNX Runtime environment");
  check(api, api.CreateSessionOptions(&rt->options_), ErrorCode::kUnavailable,
        "ONNX Runtime session options");
  check(api, api.SetIntraOpNumThreads(rt->options_, std::max(1, threads)), ErrorCode::kUnavailable,
        "ONNX Runtime threads");
  check(api, api.SetInterOpNumThreads(rt->options_, 1), ErrorCode::kUnavailable,
        "ONNX Runtime threads");
  check(api, api.SetSessionGraphOptimizationLevel(rt->options_, ORT_ENABLE_ALL),
        ErrorCode::kUnavailable, "ONNX Runtime optimisation level");
  // Idle intra-op threads would otherwise spin between runs, taking cores from the parallel
  // syntheses of the other slots.
  check(api, api.AddSessionConfigEntry(rt->options_, "session.intra_op.allow_spinning", "0"),
        ErrorCode::kUnavailable, "ONNX Runtime session options");
  if (provider == "cuda") {
    OrtCUDAProviderOptionsV2* cuda = nullptr;
    check(api, api.CreateCUDAProviderOptions(&cuda), ErrorCode::kUnavailable,
          "--onnx-provider cuda");
    OrtStatus* status = api.SessionOptionsAppendExecutionProvider_CUDA_V2(rt->options_, cuda);
    api.ReleaseCUDAProviderOptions(cuda);
    check(api, status, ErrorCode::kUnavailable,
          "--onnx-provider cuda (needs a CUDA-enabled ONNX Runtime and a GPU)");
  }
  check(api, api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &rt->memory_),
        ErrorCode::kUnavailable, "ONNX Runtime memory info");
  return rt;
}

Runtime::~Runtime() {
  if (api_ != nullptr) {
    if (memory_ != nullptr) api_->ReleaseMemoryInfo(memory_);
    if (options_ != nullptr) api_->ReleaseSessionOptions(options_);
    if (env_ != nullptr) api_->ReleaseEnv(env_);
  }
  // The library stays mapped: ONNX Runtime keeps process-wide state (its logging manager,
  // thread pools' thread-locals) that its own static destructors tear down at exit; unloading
  // it earlier has crashed other programs.
}

std::string Runtime::version() const {
  using GetApiBase = const OrtApiBase* (*)();
  auto* get_base = reinterpret_cast<GetApiBase>(dlsym(handle_, "OrtGetApiBase"));
  return get_base != nullptr ? get_base()->GetVersionString() : "";
}

Session::Session(std::shared_ptr<Runtime> runtime, const std::string& model_path)
    : runtime_(std::move(runtime)) {
  const OrtApi& api = runtime_->api();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_path, ec)) {
    throw Error(ErrorCode::kUnavailable, "model " + model_path + " not found");
  }
  check(api,
        api.CreateSession(runtime_->env(), model_path.c_str(), runtime_->session_options(),
                          &session_),
        ErrorCode::kUnavailable, "model " + model_path + " cannot be loaded");
  OrtAllocator* allocator = nullptr;
  check(api, api.GetAllocatorWithDefaultOptions(&allocator), ErrorCode::kUnavailable,
        "ONNX Runtime allocator");
  auto names = [&](bool input) {
    std::vector<std::string> out;
    std::size_t count = 0;
    check(api,
          input ? api.SessionGetInputCount(session_, &count)
                : api.SessionGetOutputCount(session_, &count),
          ErrorCode::kUnavailable, "model " + model_path);
    for (std::size_t i = 0; i < count; ++i) {
      char* name = nullptr;
      check(api,
            input ? api.SessionGetInputName(session_, i, allocator, &name)
                  : api.SessionGetOutputName(session_, i, allocator, &name),
            ErrorCode::kUnavailable, "model " + model_path);
      out.emplace_back(name);
      api.ReleaseStatus(api.AllocatorFree(allocator, name));
    }
    return out;
  };
  try {
    inputs_ = names(true);
    outputs_ = names(false);
  } catch (...) {
    api.ReleaseSession(session_);
    throw;
  }
}

Session::~Session() {
  if (session_ != nullptr) runtime_->api().ReleaseSession(session_);
}

bool Session::has_input(const std::string& name) const {
  return std::find(inputs_.begin(), inputs_.end(), name) != inputs_.end();
}

std::vector<float> Session::run(std::span<const Input> inputs, const std::string& output) const {
  const OrtApi& api = runtime_->api();
  auto release = [&api](OrtValue* v) { api.ReleaseValue(v); };
  std::vector<std::unique_ptr<OrtValue, decltype(release)>> values;
  std::vector<OrtValue*> raw;
  std::vector<const char*> names;
  for (const Input& in : inputs) {
    const bool is_float = in.type == Input::Type::kFloat;
    const std::size_t bytes = in.elements * (is_float ? sizeof(float) : sizeof(std::int64_t));
    OrtValue* value = nullptr;
    // The runtime only reads input tensors; its API takes them as non-const.
    check(api,
          api.CreateTensorWithDataAsOrtValue(
              runtime_->cpu_memory(), const_cast<void*>(in.data), bytes, in.shape.data(),
              in.shape.size(),
              is_float ? ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT : ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64,
              &value),
          ErrorCode::kInternal, "input '" + in.name + "'");
    values.emplace_back(value, release);
    raw.push_back(value);
    names.push_back(in.name.c_str());
  }
  const char* output_name = output.c_str();
  OrtValue* out_raw = nullptr;
  check(api,
        api.Run(session_, nullptr, names.data(), raw.data(), raw.size(), &output_name, 1, &out_raw),
        ErrorCode::kInternal, "model run");
  std::unique_ptr<OrtValue, decltype(release)> out(out_raw, release);
  OrtTensorTypeAndShapeInfo* info = nullptr;
  check(api, api.GetTensorTypeAndShape(out.get(), &info), ErrorCode::kInternal,
        "output '" + output + "'");
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::size_t count = 0;
  OrtStatus* status = api.GetTensorElementType(info, &type);
  if (status == nullptr) status = api.GetTensorShapeElementCount(info, &count);
  api.ReleaseTensorTypeAndShapeInfo(info);
  check(api, status, ErrorCode::kInternal, "output '" + output + "'");
  if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
    throw Error(ErrorCode::kInternal, "output '" + output + "' is not float32");
  }
  float* data = nullptr;
  check(api, api.GetTensorMutableData(out.get(), reinterpret_cast<void**>(&data)),
        ErrorCode::kInternal, "output '" + output + "'");
  return std::vector<float>(data, data + count);
}

}  // namespace lector::engine::onnx

#else  // !LECTOR_HAVE_ONNXRUNTIME

// Built without the header: the neural engines exist but say why they cannot run.
namespace lector::engine::onnx {
namespace {
const char kMissing[] = "built without ONNX Runtime's C header; run scripts/deps.sh";
}

std::shared_ptr<Runtime> Runtime::load(const std::string&, const std::string&, int) {
  throw Error(ErrorCode::kUnavailable, kMissing);
}
Runtime::~Runtime() = default;
std::string Runtime::version() const {
  return {};
}
Session::Session(std::shared_ptr<Runtime> runtime, const std::string&)
    : runtime_(std::move(runtime)) {
  throw Error(ErrorCode::kUnavailable, kMissing);
}
Session::~Session() = default;
bool Session::has_input(const std::string&) const {
  return false;
}
std::vector<float> Session::run(std::span<const Input>, const std::string&) const {
  throw Error(ErrorCode::kUnavailable, kMissing);
}

}  // namespace lector::engine::onnx

#endif
