#include "http/request_id.h"

#include <gtest/gtest.h>

#include <set>

namespace lector::http {
namespace {

TEST(RequestId, KeepsAValidClientIdAndReplacesOthers) {
  RequestIds ids;
  EXPECT_EQ(ids.accept("abc-123"), "abc-123");
  EXPECT_EQ(ids.accept("with space ~!"), "with space ~!");
  const std::string longest(kMaxRequestIdChars, 'x');
  EXPECT_EQ(ids.accept(longest), longest);
  for (const std::string& bad :
       {std::string(), std::string(kMaxRequestIdChars + 1, 'x'), std::string("a\nb"),
        std::string("a\tb"), std::string("caf\xc3\xa9"), std::string("a\x7f")}) {
    const std::string got = ids.accept(bad);
    EXPECT_NE(got, bad);
    EXPECT_TRUE(valid_request_id(got)) << got;
  }
}

TEST(RequestId, GeneratedIdsAreUniqueAndDifferPerProcessPrefix) {
  RequestIds a;
  RequestIds b;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(a.make()).second);
    EXPECT_TRUE(seen.insert(b.make()).second);
  }
}

}  // namespace
}  // namespace lector::http
