#include "sched/catalog.h"

#include <algorithm>
#include <string_view>

namespace lector::sched {

const VoiceInfo* EngineInfo::find_voice(const std::string& voice) const {
  const std::size_t plus = voice.find('+');
  const std::string_view base = std::string_view(voice).substr(0, plus);
  if (plus != std::string::npos &&
      std::find(variants.begin(), variants.end(), voice.substr(plus + 1)) == variants.end())
    return nullptr;
  for (const VoiceInfo& v : voices)
    if (v.name == base) return &v;
  return nullptr;
}

Catalog::Catalog(const Catalog& base, std::shared_ptr<const EngineInfo> engine)
    : engines_(base.engines_) {
  const std::string name = engine->name;
  engines_.try_emplace(name, std::move(engine));
}

const EngineInfo* Catalog::engine(const std::string& name) const {
  auto it = engines_.find(name);
  return it == engines_.end() ? nullptr : it->second.get();
}

std::vector<const EngineInfo*> Catalog::engines() const {
  std::vector<const EngineInfo*> out;
  out.reserve(engines_.size());
  for (const auto& [name, info] : engines_) out.push_back(info.get());
  return out;
}

}  // namespace lector::sched
