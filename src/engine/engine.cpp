#include "engine/engine.h"

#include "core/error.h"
#include "engine/espeak_engine.h"

namespace lector::engine {

std::vector<std::string> engine_names() {
  return {"espeak"};
}

std::unique_ptr<Engine> make_engine(std::string_view name) {
  if (name == "espeak") return std::make_unique<EspeakEngine>();
  throw Error(ErrorCode::kBadParameter, "unknown engine '" + std::string(name) + "'", "engine");
}

}  // namespace lector::engine
