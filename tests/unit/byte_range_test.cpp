#include "api/byte_range.h"

#include <gtest/gtest.h>

namespace lector::api {
namespace {

std::optional<Slice> slice_of(const char* header, std::size_t total) {
  const auto range = parse_byte_range(header);
  if (!range) {
    ADD_FAILURE() << header << " did not parse";
    return std::nullopt;
  }
  return satisfy(*range, total);
}

void expect_slice(const char* header, std::size_t total, std::size_t offset, std::size_t length) {
  const auto s = slice_of(header, total);
  ASSERT_TRUE(s.has_value()) << header;
  EXPECT_EQ(s->offset, offset) << header;
  EXPECT_EQ(s->length, length) << header;
}

TEST(ByteRange, SelectsTheBytesAsked) {
  expect_slice("bytes=0-1", 100, 0, 2);      // Safari's first probe
  expect_slice("bytes=10-19", 100, 10, 10);  // middle
  expect_slice("bytes=90-", 100, 90, 10);    // to the end
  expect_slice("bytes=-5", 100, 95, 5);      // suffix
  expect_slice("bytes=0-", 100, 0, 100);
  expect_slice("bytes=99-99", 100, 99, 1);  // the last byte
}

TEST(ByteRange, CutsAtTheEnd) {
  expect_slice("bytes=50-1000", 100, 50, 50);
  expect_slice("bytes=-1000", 100, 0, 100);  // a suffix longer than the body: all of it
}

TEST(ByteRange, PastTheEndIsUnsatisfiable) {
  EXPECT_FALSE(slice_of("bytes=100-", 100));
  EXPECT_FALSE(slice_of("bytes=100-200", 100));
  EXPECT_FALSE(slice_of("bytes=-0", 100));  // an empty suffix
  EXPECT_FALSE(slice_of("bytes=0-0", 0));   // an empty body has no byte 0
  EXPECT_FALSE(slice_of("bytes=-5", 0));
}

TEST(ByteRange, ToleratesCaseAndSpaces) {
  expect_slice("Bytes=0-1", 10, 0, 2);
  expect_slice("bytes = 2-3 ", 10, 2, 2);
}

TEST(ByteRange, IgnoresWhatIsNotOneByteRange) {
  for (const char* h : {"", "bytes", "bytes=", "bytes=-", "items=0-1", "bytes=0-1,5-6",
                        "bytes=0-1, 5-6", "bytes=5-2", "bytes=a-b", "bytes=1-x", "bytes=+1-2",
                        "bytes=0--1", "bytes=1 -2", "bytes=99999999999999999999999-"})
    EXPECT_FALSE(parse_byte_range(h).has_value()) << h;
}

}  // namespace
}  // namespace lector::api
