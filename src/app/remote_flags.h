#pragma once
// `lector serve --remote NAME=BASE_URL[,KEY]` and `--remote-model NAME=MODEL`: the remote
// engines (engine/remote_engine.h), turned into what the scheduler needs to spawn their
// workers. Called once, on the main thread, before the server starts.

#include <string>
#include <vector>

#include "sched/worker_process.h"

namespace lector::app {

struct RemoteEngineFlag {
  std::string name;
  std::string url;
  std::string key;  // from the flag, else from LECTOR_REMOTE_KEY_<NAME>; may be empty
  std::string model = "tts-1";
};

// Parses every --remote and --remote-model value. A name is 1 to 32 of [A-Za-z0-9_-], not a
// built-in engine's and not given twice; the URL must parse (remote_protocol.h); a model must
// name a --remote engine. Throws std::invalid_argument with a message that names the flag.
std::vector<RemoteEngineFlag> parse_remote_flags(const std::vector<std::string>& remotes,
                                                 const std::vector<std::string>& models,
                                                 const std::vector<std::string>& built_in);

// The name of the environment variable that may hold NAME's key: LECTOR_REMOTE_KEY_ + NAME in
// upper case with '-' as '_'.
std::string key_variable(const std::string& name);

// How the scheduler starts a worker of this engine: URL, model and read timeout on the command
// line, the key in the worker's environment (LECTOR_REMOTE_KEY), never on its command line.
sched::SpawnSpec spawn_spec(const RemoteEngineFlag& remote, int timeout_s);

}  // namespace lector::app
