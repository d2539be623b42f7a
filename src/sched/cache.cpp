#include "sched/cache.h"

#include <cstring>

namespace lector::sched {

std::string SynthesisCache::key(std::string_view engine, std::string_view voice,
                                const SynthParams& params, std::string_view text) {
  std::string k;
  k.reserve(engine.size() + voice.size() + text.size() + 3 * sizeof(double) + 2);
  k.append(engine).push_back('\0');
  k.append(voice).push_back('\0');
  // Exact bit patterns: two requests share audio only when every parameter is identical.
  for (double v : {params.speed, params.pitch, params.volume}) {
    char bits[sizeof v];
    std::memcpy(bits, &v, sizeof v);
    k.append(bits, sizeof bits);
  }
  k.append(text);
  return k;
}

std::shared_ptr<const CachedSegment> SynthesisCache::find(const std::string& key) {
  if (capacity_ == 0) return nullptr;
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->segment;
}

void SynthesisCache::insert(const std::string& key, CachedSegment segment) {
  const std::size_t size = segment.bytes();
  if (capacity_ == 0 || size + key.size() > capacity_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->segment->bytes() + it->second->key.size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  bytes_ += size + key.size();
  lru_.push_front(Entry{key, std::make_shared<const CachedSegment>(std::move(segment))});
  index_.emplace(lru_.front().key, lru_.begin());
  while (bytes_ > capacity_) {
    Entry& victim = lru_.back();
    bytes_ -= victim.segment->bytes() + victim.key.size();
    index_.erase(victim.key);
    lru_.pop_back();
  }
}

}  // namespace lector::sched
