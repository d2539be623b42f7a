#include "engine/engine.h"

#include "core/error.h"
#include "engine/espeak_engine.h"
#include "engine/neural/kokoro_engine.h"
#include "engine/neural/piper_engine.h"
#ifdef LECTOR_HAVE_FLITE
#include "engine/flite_engine.h"
#endif
#ifdef LECTOR_HAVE_FESTIVAL
#include "engine/festival_engine.h"
#endif
#ifdef LECTOR_HAVE_TONE
#include "engine/tone_engine.h"
#endif

namespace lector::engine {

std::vector<std::string> default_engine_names() {
  std::vector<std::string> names{"espeak"};
#ifdef LECTOR_HAVE_FLITE
  names.emplace_back("flite");
#endif
#ifdef LECTOR_HAVE_FESTIVAL
  names.emplace_back("festival");
#endif
  return names;
}

std::vector<std::string> engine_names() {
  std::vector<std::string> names = default_engine_names();
  // The test engine must never answer a user's request by accident: it runs only when named.
#ifdef LECTOR_HAVE_TONE
  names.emplace_back("tone");
#endif
  return names;
}

std::unique_ptr<Engine> make_engine(std::string_view name) {
  return make_engine(name, NeuralOptions{});
}

std::unique_ptr<Engine> make_engine(std::string_view name, const NeuralOptions& neural) {
  if (name == "piper") return neural::make_piper_engine(neural);
  if (name == "kokoro") return neural::make_kokoro_engine(neural);
  if (name == "espeak") return std::make_unique<EspeakEngine>();
#ifdef LECTOR_HAVE_FLITE
  if (name == "flite") return std::make_unique<FliteEngine>();
#endif
#ifdef LECTOR_HAVE_FESTIVAL
  if (name == "festival") return std::make_unique<FestivalEngine>();
#endif
#ifdef LECTOR_HAVE_TONE
  if (name == "tone") return std::make_unique<ToneEngine>();
#endif
  throw Error(ErrorCode::kBadParameter, "unknown engine '" + std::string(name) + "'", "engine");
}

}  // namespace lector::engine
