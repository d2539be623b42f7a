#pragma once
// What the running engines offer: their voices, variants and sample rates, as their workers
// announced them in Hello frames.
//
// A Catalog is immutable once published; the scheduler publishes a new one (sharing the
// EngineInfo objects of the old) when an engine's first worker says hello. Any thread may read
// a snapshot without a lock. EngineInfo objects are never changed or dropped once published,
// so a pointer to one stays valid for the scheduler's lifetime.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/types.h"
#include "worker/protocol.h"

namespace lector::sched {

struct EngineInfo {
  std::string name;
  int sample_rate = 0;
  std::vector<VoiceInfo> voices;
  std::vector<std::string> variants;  // accepted as "voice+variant"
  worker::Capabilities caps;          // as the engine's workers announce them
  // A voice by name; "voice+variant" finds the base voice when the variant exists.
  const VoiceInfo* find_voice(const std::string& voice) const;
  // The rate a voice speaks at (its own, else the engine's).
  int rate_of(const VoiceInfo& voice) const {
    return voice.sample_rate > 0 ? voice.sample_rate : sample_rate;
  }
};

class Catalog {
 public:
  Catalog() = default;
  // A copy of `base` with `engine` added. An engine already in `base` is never replaced (the
  // scheduler adds each engine once), which is what keeps EngineInfo pointers valid.
  Catalog(const Catalog& base, std::shared_ptr<const EngineInfo> engine);

  // The engine, or nullptr.
  const EngineInfo* engine(const std::string& name) const;
  // Every engine, by name.
  std::vector<const EngineInfo*> engines() const;
  std::size_t size() const { return engines_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const EngineInfo>> engines_;
};

}  // namespace lector::sched
