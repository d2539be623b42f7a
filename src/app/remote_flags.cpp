#include "app/remote_flags.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "engine/remote_http.h"
#include "engine/remote_protocol.h"

namespace lector::app {
namespace {

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 32 &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

std::invalid_argument flag_error(const char* flag, const std::string& value,
                                 const std::string& problem) {
  // The value may hold a key: only the part before the comma is shown, without user
  // information in the URL.
  return std::invalid_argument(std::string(flag) + " '" +
                               engine::remote::redact_url(value.substr(0, value.find(','))) +
                               "': " + problem);
}

}  // namespace

std::string key_variable(const std::string& name) {
  std::string var = std::string(sched::kRemoteKeyEnvPrefix) + "_";
  for (unsigned char c : name) var.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return var;
}

std::vector<RemoteEngineFlag> parse_remote_flags(const std::vector<std::string>& remotes,
                                                 const std::vector<std::string>& models,
                                                 const std::vector<std::string>& built_in) {
  std::vector<RemoteEngineFlag> out;
  for (const std::string& value : remotes) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos)
      throw flag_error("--remote", value, "expected NAME=BASE_URL[,KEY]");
    RemoteEngineFlag r;
    r.name = value.substr(0, eq);
    if (!valid_name(r.name))
      throw flag_error("--remote", value, "NAME must be 1 to 32 letters, digits, '_' or '-'");
    if (std::find(built_in.begin(), built_in.end(), r.name) != built_in.end())
      throw flag_error("--remote", value, "'" + r.name + "' is a built-in engine");
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.name == r.name; }))
      throw flag_error("--remote", value, "engine '" + r.name + "' is given twice");
    const std::size_t comma = value.find(',', eq + 1);
    r.url = value.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
    if (comma != std::string::npos) r.key = value.substr(comma + 1);
    try {
      (void)engine::remote::parse_base_url(r.url, engine::remote::tls_supported());
    } catch (const std::exception& e) {
      throw flag_error("--remote", value, e.what());
    }
    if (r.key.empty()) {
      // Flags are read on the main thread before any other thread exists.
      // NOLINTNEXTLINE(concurrency-mt-unsafe)
      if (const char* env = std::getenv(key_variable(r.name).c_str())) r.key = env;
    }
    // A key is sent in a header: a line break in it would forge other headers.
    if (std::any_of(r.key.begin(), r.key.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
      throw flag_error("--remote", value, "the key holds control characters");
    out.push_back(std::move(r));
  }
  for (const std::string& value : models) {
    const std::size_t eq = value.find('=');
    if (eq == std::string::npos || eq + 1 == value.size())
      throw flag_error("--remote-model", value, "expected NAME=MODEL");
    const std::string name = value.substr(0, eq);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.name == name; });
    if (it == out.end())
      throw flag_error("--remote-model", value, "no --remote engine named '" + name + "'");
    it->model = value.substr(eq + 1);
  }
  return out;
}

sched::SpawnSpec spawn_spec(const RemoteEngineFlag& remote, int timeout_s) {
  sched::SpawnSpec spec;
  spec.args = {"--remote-url", remote.url,         "--remote-model",
               remote.model,   "--remote-timeout", std::to_string(timeout_s)};
  if (!remote.key.empty())
    spec.env.push_back(std::string(sched::kRemoteKeyEnvPrefix) + "=" + remote.key);
  return spec;
}

}  // namespace lector::app
