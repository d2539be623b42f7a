#include "sched/cache.h"

#include <gtest/gtest.h>

namespace lector::sched {
namespace {

CachedSegment seg(std::string pcm) {
  return CachedSegment{std::move(pcm), {}};
}

TEST(SynthesisCache, HitReturnsTheStoredBytes) {
  SynthesisCache cache(1 << 20);
  const std::string k = SynthesisCache::key("espeak", "en-us", {}, "Hello.");
  EXPECT_EQ(cache.find(k), nullptr);
  cache.insert(k, seg(std::string("\x01\x02\x03\x04", 4)));
  auto hit = cache.find(k);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->pcm, std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(SynthesisCache, EveryParameterIsPartOfTheKey) {
  const SynthParams base;
  const std::string k = SynthesisCache::key("espeak", "en-us", base, "Hi.");
  EXPECT_NE(k, SynthesisCache::key("flite", "en-us", base, "Hi."));
  EXPECT_NE(k, SynthesisCache::key("espeak", "de", base, "Hi."));
  EXPECT_NE(k, SynthesisCache::key("espeak", "en-us", {1.5, 1, 1}, "Hi."));
  EXPECT_NE(k, SynthesisCache::key("espeak", "en-us", {1, 1.5, 1}, "Hi."));
  EXPECT_NE(k, SynthesisCache::key("espeak", "en-us", {1, 1, 0.5}, "Hi."));
  EXPECT_NE(k, SynthesisCache::key("espeak", "en-us", base, "Hi!"));
  // No ambiguity from where one field ends and the next begins.
  EXPECT_NE(SynthesisCache::key("ab", "c", base, "x"), SynthesisCache::key("a", "bc", base, "x"));
}

TEST(SynthesisCache, EvictsLeastRecentlyUsedToStayWithinBudget) {
  const std::string a = SynthesisCache::key("e", "v", {}, "a");
  const std::string b = SynthesisCache::key("e", "v", {}, "b");
  const std::string c = SynthesisCache::key("e", "v", {}, "c");
  SynthesisCache cache(2 * (1000 + a.size()));
  cache.insert(a, seg(std::string(1000, 'a')));
  cache.insert(b, seg(std::string(1000, 'b')));
  ASSERT_NE(cache.find(a), nullptr);  // a is now more recent than b
  cache.insert(c, seg(std::string(1000, 'c')));
  EXPECT_NE(cache.find(a), nullptr);
  EXPECT_EQ(cache.find(b), nullptr);
  EXPECT_NE(cache.find(c), nullptr);
  EXPECT_LE(cache.bytes(), 2 * (1000 + a.size()));
  EXPECT_EQ(cache.entries(), 2u);
}

TEST(SynthesisCache, ReplacingAnEntryKeepsTheByteCountExact) {
  const std::string k = SynthesisCache::key("e", "v", {}, "a");
  SynthesisCache cache(1 << 20);
  cache.insert(k, seg(std::string(100, 'x')));
  cache.insert(k, seg(std::string(10, 'y')));
  EXPECT_EQ(cache.bytes(), 10 + k.size());
  EXPECT_EQ(cache.find(k)->pcm, std::string(10, 'y'));
}

TEST(SynthesisCache, ZeroCapacityDisablesIt) {
  SynthesisCache cache(0);
  const std::string k = SynthesisCache::key("e", "v", {}, "a");
  cache.insert(k, seg("pcm"));
  EXPECT_EQ(cache.find(k), nullptr);
  EXPECT_FALSE(cache.enabled());
}

TEST(SynthesisCache, EntryLargerThanTheBudgetIsNotStored) {
  SynthesisCache cache(100);
  const std::string k = SynthesisCache::key("e", "v", {}, "a");
  cache.insert(k, seg(std::string(200, 'x')));
  EXPECT_EQ(cache.find(k), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(SynthesisCache, KeepsTheWordMarksWithTheAudioAndCountsThem) {
  const std::string k = SynthesisCache::key("flite", "slt", {}, "Hello world.");
  CachedSegment s{std::string(100, 'x'), {{0, 0, 5, 10}, {0, 6, 5, 40}}};
  SynthesisCache cache(1 << 20);
  cache.insert(k, s);
  const auto hit = cache.find(k);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->words, s.words);
  EXPECT_EQ(cache.bytes(), 100 + 2 * sizeof(worker::WordMark) + k.size());
}

}  // namespace
}  // namespace lector::sched
