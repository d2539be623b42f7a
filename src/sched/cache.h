#pragma once
// A synthesis cache: (engine, voice, parameters, segment text) -> PCM and the segment's word
// marks, least recently used first out, bounded in bytes. Not thread-safe: the scheduler calls it
// under its own lock.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/types.h"
#include "worker/protocol.h"

namespace lector::sched {

// A segment's whole output: its audio and the engine's word marks for it (job ids are
// meaningless here), so that a hit reports the same words as the synthesis did.
struct CachedSegment {
  std::string pcm;
  std::vector<worker::WordMark> words;
  std::size_t bytes() const { return pcm.size() + words.size() * sizeof(worker::WordMark); }
};

class SynthesisCache {
 public:
  // capacity_bytes == 0 disables the cache: find() always misses and insert() drops.
  explicit SynthesisCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

  static std::string key(std::string_view engine, std::string_view voice, const SynthParams& params,
                         std::string_view text);

  // The cached segment, or nullptr. A hit becomes the most recently used entry. The pointer stays
  // valid while the caller holds it, even if the entry is evicted meanwhile.
  std::shared_ptr<const CachedSegment> find(const std::string& key);
  void insert(const std::string& key, CachedSegment segment);

  bool enabled() const { return capacity_ > 0; }
  std::size_t bytes() const { return bytes_; }
  std::size_t entries() const { return index_.size(); }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const CachedSegment> segment;
  };

  std::size_t capacity_;
  std::size_t bytes_ = 0;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace lector::sched
