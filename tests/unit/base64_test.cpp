#include "api/base64.h"

#include <gtest/gtest.h>

namespace lector::api {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Base64, HighBytesAndTheWholeAlphabet) {
  EXPECT_EQ(base64(std::string("\xff\xfe\xfd", 3)), "//79");
  EXPECT_EQ(base64(std::string("\0\0\0", 3)), "AAAA");
  EXPECT_EQ(base64(std::string("\xfb\xff", 2)), "+/8=");
}

}  // namespace
}  // namespace lector::api

namespace lector::api {
namespace {

TEST(Unbase64, RoundTripsEveryLengthAndByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 1 + n / 7) {
    const std::string in = all.substr(all.size() - n);
    EXPECT_EQ(unbase64(base64(in)), in) << n;
  }
}

TEST(Unbase64, RefusesWhatIsNotBase64) {
  EXPECT_EQ(unbase64("Zm9"), std::nullopt);
  EXPECT_EQ(unbase64("Zm9v!A=="), std::nullopt);
  EXPECT_EQ(unbase64("Zg=="), "f");
  EXPECT_EQ(unbase64("Zm8="), "fo");
}

}  // namespace
}  // namespace lector::api
