#include "access/access.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.h"

namespace lector::access {
namespace {

using namespace std::chrono_literals;

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TokenBucket, BurstThenOneTokenPerInterval) {
  const Clock::time_point t0{};
  TokenBucket b(6, t0);  // 6 a minute: a token every 10 s
  for (int i = 0; i < 6; ++i) EXPECT_EQ(b.take(t0), 0) << i;
  EXPECT_EQ(b.take(t0), 10);
  EXPECT_EQ(b.take(t0 + 4s), 6);  // refused takes cost nothing
  EXPECT_EQ(b.take(t0 + 10s), 0);
  EXPECT_EQ(b.take(t0 + 10s), 10);
  EXPECT_FALSE(b.full(t0 + 10s));
  EXPECT_TRUE(b.full(t0 + 10s + 60s));
  // A long pause refills to the burst size, no more.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(b.take(t0 + 1h), 0) << i;
  EXPECT_GT(b.take(t0 + 1h), 0);
}

TEST(TokenBucket, RetryAfterRoundsUpToAWholeSecond) {
  const Clock::time_point t0{};
  TokenBucket b(600, t0);  // a token every 100 ms
  for (int i = 0; i < 600; ++i) ASSERT_EQ(b.take(t0), 0);
  EXPECT_EQ(b.take(t0), 1);
  EXPECT_EQ(b.take(t0 + 100ms), 0);
}

TEST(RateLimiter, OneBucketPerNameAndBoundedMap) {
  const Clock::time_point t0{};
  RateLimiter limiter(1, 4);
  EXPECT_EQ(limiter.take("a", t0), 0);
  EXPECT_EQ(limiter.take("a", t0), 60);
  EXPECT_EQ(limiter.take("b", t0), 0);
  for (int i = 0; i < 10; ++i) limiter.take("x" + std::to_string(i), t0);
  EXPECT_LE(limiter.size(), 4u);
  // Idle clients are forgotten first: after a minute every bucket is full again.
  EXPECT_EQ(limiter.take("a", t0 + 61s), 0);
}

TEST(ParseRate, Units) {
  EXPECT_DOUBLE_EQ(parse_rate("60/min"), 60);
  EXPECT_DOUBLE_EQ(parse_rate("2/s"), 120);
  EXPECT_DOUBLE_EQ(parse_rate("120/h"), 2);
  EXPECT_DOUBLE_EQ(parse_rate("30"), 30);
  for (const char* bad : {"", "0/min", "-1/min", "x/min", "5/week", "5 /min", "1e99"})
    EXPECT_THROW(parse_rate(bad), std::invalid_argument) << bad;
}

TEST(Keys, DigestCompareIsExactAndOverTheWholeDigest) {
  const Digest a = sha256("key-one");
  Digest b = a;
  EXPECT_TRUE(digests_equal(a, b));
  b.back() ^= 1;
  EXPECT_FALSE(digests_equal(a, b));
  b = a;
  b.front() ^= 0x80;
  EXPECT_FALSE(digests_equal(a, b));
  // The known SHA-256 of "abc" (FIPS 180-2), so the digest is the real one.
  const Digest abc = sha256("abc");
  EXPECT_EQ(abc[0], 0xba);
  EXPECT_EQ(abc[31], 0xad);
}

TEST(Keys, RingFindsEachKeyAndNothingElse) {
  const KeyRing ring({{"a", "alpha-key", 0, 0, false}, {"b", "bravo-key", 0, 0, true}});
  EXPECT_EQ(ring.find("alpha-key"), 0u);
  EXPECT_EQ(ring.find("bravo-key"), 1u);
  EXPECT_FALSE(ring.find("alpha-ke"));
  EXPECT_FALSE(ring.find("alpha-key "));
  EXPECT_FALSE(ring.find(""));
  EXPECT_THROW(KeyRing({{"a", "k1", 0, 0, false}, {"a", "k2", 0, 0, false}}),
               std::invalid_argument);
  EXPECT_THROW(KeyRing({{"a", "same", 0, 0, false}, {"b", "same", 0, 0, false}}),
               std::invalid_argument);
  EXPECT_THROW(KeyRing({{"bad name", "k", 0, 0, false}}), std::invalid_argument);
  EXPECT_THROW(KeyRing({{"a", "has space", 0, 0, false}}), std::invalid_argument);
}

TEST(Keys, FileParses) {
  const std::string path = write_temp("keys_ok.toml", R"(
[[key]]
name = "alice"
key = "alice-secret"
daily_audio_seconds = 3600
requests_per_minute = 30

[[key]]
name = "ops"
key = "ops-secret"
admin = true
)");
  const auto keys = load_keys_file(path);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].name, "alice");
  EXPECT_EQ(keys[0].key, "alice-secret");
  EXPECT_DOUBLE_EQ(keys[0].daily_audio_seconds, 3600);
  EXPECT_DOUBLE_EQ(keys[0].requests_per_minute, 30);
  EXPECT_FALSE(keys[0].admin);
  EXPECT_TRUE(keys[1].admin);
}

TEST(Keys, FileErrorsNameTheLineAndField) {
  auto error_of = [](const std::string& text) {
    const std::string path = write_temp("keys_bad.toml", text);
    try {
      load_keys_file(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[[key]]\nname = \"a\"\nkey = \"k\"\nquota = 5\n").find("keys_bad.toml:4"),
            std::string::npos);
  EXPECT_NE(error_of("[[key]]\nname = \"a\"\nkey = \"k\"\nquota = 5\n").find("'quota'"),
            std::string::npos);
  EXPECT_NE(error_of("[[key]]\nname = \"a\"\nkey = \"k\"\nadmin = 1\n").find("'admin'"),
            std::string::npos);
  EXPECT_NE(error_of("[[key]]\nname = \"a\"\nkey = \"k\"\ndaily_audio_seconds = -1\n")
                .find("daily_audio_seconds"),
            std::string::npos);
  EXPECT_NE(error_of("[[key]]\nname = \"a\"\n").find("empty"), std::string::npos);
  EXPECT_NE(error_of("[[key]\n").find("keys_bad.toml:1"), std::string::npos);
  // The message never carries the key itself.
  EXPECT_EQ(error_of("[[key]]\nname = \"a b\"\nkey = \"topsecret\"\n").find("topsecret"),
            std::string::npos);
}

TEST(DailyQuota, ExhaustedUntilMidnightUtc) {
  DailyQuota q(10);
  // 2026-01-02 23:59:00 UTC
  const SystemClock::time_point t =
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 2} + 23h + 59min;
  EXPECT_EQ(q.retry_after(t), 0);
  q.add(9.5, t);
  EXPECT_EQ(q.retry_after(t), 0);
  q.add(0.5, t);
  EXPECT_EQ(q.retry_after(t), 60);
  EXPECT_EQ(q.retry_after(t + 59s), 1);
  EXPECT_EQ(q.retry_after(t + 60s), 0);  // a new day
  EXPECT_DOUBLE_EQ(q.used(t + 60s), 0);
}

TEST(Cors, DefaultAllowsLocalhostOnAnyPortAndSameOrigin) {
  const CorsPolicy p({});
  EXPECT_TRUE(p.allows("http://localhost", ""));
  EXPECT_TRUE(p.allows("http://localhost:3000", ""));
  EXPECT_TRUE(p.allows("http://127.0.0.1:8000", ""));
  EXPECT_TRUE(p.allows("HTTP://LOCALHOST:5173", ""));
  EXPECT_FALSE(p.allows("https://localhost", ""));
  EXPECT_FALSE(p.allows("http://localhost.evil.example", ""));
  EXPECT_FALSE(p.allows("http://evil.example", ""));
  EXPECT_FALSE(p.allows("null", ""));
  EXPECT_TRUE(p.allows("http://tts.lan:8000", "tts.lan:8000"));
  EXPECT_FALSE(p.allows("http://tts.lan:9000", "tts.lan:8000"));
}

TEST(Cors, ExplicitEntries) {
  const CorsPolicy p({"https://app.example", "http://a.example:8080"});
  EXPECT_TRUE(p.allows("https://app.example", ""));
  EXPECT_TRUE(p.allows("https://app.example:444", ""));
  EXPECT_TRUE(p.allows("http://a.example:8080", ""));
  EXPECT_FALSE(p.allows("http://a.example:8081", ""));
  EXPECT_FALSE(p.allows("http://localhost", ""));
  EXPECT_TRUE(CorsPolicy({"*"}).allows("http://anything.example", ""));
  EXPECT_THROW(CorsPolicy({"app.example"}), std::invalid_argument);
  EXPECT_THROW(CorsPolicy({"https://app.example/path"}), std::invalid_argument);
}

TEST(BearerToken, Parsing) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token("Bearerabc"));
}

ErrorCode code_of(AccessControl& ac, RouteKind kind, const Credentials& c) {
  try {
    ac.admit(kind, c);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;  // stands for "admitted"
}

TEST(AccessControl, KeysOnSynthesisAdminOnDefaults) {
  AccessConfig config;
  config.api_keys = {"operator-key"};
  config.keys_file = write_temp("keys_ac.toml",
                                "[[key]]\nname = \"alice\"\nkey = \"alice-key\"\n"
                                "requests_per_minute = 2\n");
  AccessControl ac(config);
  EXPECT_EQ(ac.key_names(), (std::vector<std::string>{"default", "alice"}));
  const Credentials none{"", std::nullopt, "10.0.0.1"};
  const Credentials wrong{"Bearer nope", std::nullopt, "10.0.0.1"};
  const Credentials alice{"Bearer alice-key", std::nullopt, "10.0.0.1"};
  const Credentials op{"Bearer operator-key", std::nullopt, "10.0.0.1"};
  EXPECT_EQ(code_of(ac, RouteKind::kSynthesis, none), ErrorCode::kUnauthorized);
  EXPECT_EQ(code_of(ac, RouteKind::kSynthesis, wrong), ErrorCode::kUnauthorized);
  EXPECT_EQ(ac.admit(RouteKind::kSynthesis, alice).key_name, "alice");
  EXPECT_EQ(ac.admit(RouteKind::kCatalog, none).key_name, "");
  EXPECT_EQ(ac.admit(RouteKind::kProbe, none).key_name, "");
  EXPECT_EQ(code_of(ac, RouteKind::kAdmin, alice), ErrorCode::kForbidden);
  EXPECT_EQ(ac.admit(RouteKind::kAdmin, op).key_name, "default");
  // alice: 2 a minute, one used above.
  ac.admit(RouteKind::kSynthesis, alice);
  try {
    ac.admit(RouteKind::kSynthesis, alice);
    FAIL() << "third request admitted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kRateLimited);
    EXPECT_GE(e.retry_after(), 1);
    EXPECT_LE(e.retry_after(), 30);
  }
  // The query key counts where the transport offers it (WebSocket upgrades).
  const Credentials query{"", std::string_view("operator-key"), "10.0.0.1"};
  EXPECT_EQ(ac.admit(RouteKind::kSynthesis, query).key_name, "default");
}

TEST(AccessControl, AuthAllClosesCatalogButNotProbes) {
  AccessConfig config;
  config.api_keys = {"k"};
  config.auth_all = true;
  AccessControl ac(config);
  const Credentials none{"", std::nullopt, "1.2.3.4"};
  EXPECT_EQ(code_of(ac, RouteKind::kCatalog, none), ErrorCode::kUnauthorized);
  EXPECT_NO_THROW(ac.admit(RouteKind::kProbe, none));
}

TEST(AccessControl, PerAddressLimitWithoutKeys) {
  AccessConfig config;
  config.rate_limit_per_minute = 1;
  AccessControl ac(config);
  EXPECT_FALSE(ac.keys_enabled());
  EXPECT_NO_THROW(ac.admit(RouteKind::kSynthesis, {"", std::nullopt, "1.1.1.1"}));
  EXPECT_EQ(code_of(ac, RouteKind::kSynthesis, {"", std::nullopt, "1.1.1.1"}),
            ErrorCode::kRateLimited);
  EXPECT_NO_THROW(ac.admit(RouteKind::kSynthesis, {"", std::nullopt, "2.2.2.2"}));
  // Catalog routes are not counted.
  EXPECT_NO_THROW(ac.admit(RouteKind::kCatalog, {"", std::nullopt, "1.1.1.1"}));
}

TEST(AccessControl, QuotaChargedByDeliveredAudio) {
  AccessConfig config;
  config.keys_file = write_temp("keys_quota.toml",
                                "[[key]]\nname = \"q\"\nkey = \"q-key\"\n"
                                "daily_audio_seconds = 2\n");
  AccessControl ac(config);
  const Credentials q{"Bearer q-key", std::nullopt, "1.1.1.1"};
  const Grant g = ac.admit(RouteKind::kSynthesis, q);
  ASSERT_TRUE(g.usage);
  EXPECT_NO_THROW(g.usage->check());
  g.usage->delivered(1.5);
  EXPECT_NO_THROW(ac.admit(RouteKind::kSynthesis, q));
  g.usage->delivered(0.5);
  EXPECT_EQ(code_of(ac, RouteKind::kSynthesis, q), ErrorCode::kQuotaExceeded);
  try {
    g.usage->check();
    FAIL() << "quota not enforced at submit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kQuotaExceeded);
    EXPECT_GE(e.retry_after(), 1);
    EXPECT_LE(e.retry_after(), 86400);
  }
}

TEST(AccessControl, BadConfigurationNamesTheFlag) {
  auto message = [](AccessConfig c) {
    try {
      AccessControl ac(c);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  AccessConfig a;
  a.api_keys = {""};
  EXPECT_EQ(message(a).rfind("--api-key", 0), 0u) << message(a);
  AccessConfig b;
  b.keys_file = "/nonexistent/keys.toml";
  EXPECT_EQ(message(b).rfind("--keys-file", 0), 0u) << message(b);
  AccessConfig c;
  c.cors_origins = {"example.com"};
  EXPECT_EQ(message(c).rfind("--cors-origin", 0), 0u) << message(c);
}

}  // namespace
}  // namespace lector::access
