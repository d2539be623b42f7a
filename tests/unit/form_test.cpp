// application/x-www-form-urlencoded bodies (api/form.h), as MaryTTS clients send them.

#include "api/form.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace lector::api {
namespace {

TEST(Form, DecodesFieldsInOrder) {
  const QueryParams f = parse_form("INPUT_TEXT=Hello+world%21&LOCALE=en_US&&AUDIO=WAVE&flag");
  const QueryParams expected = {
      {"INPUT_TEXT", "Hello world!"}, {"LOCALE", "en_US"}, {"AUDIO", "WAVE"}, {"flag", ""}};
  EXPECT_EQ(f, expected);
}

TEST(Form, DecodesUtf8AndKeepsRawBytes) {
  EXPECT_EQ(parse_form("t=%C3%A9t%C3%A9")[0].second, "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(parse_form("t=caf\xC3\xA9")[0].second, "caf\xC3\xA9");
  EXPECT_EQ(parse_form("t=%00")[0].second, std::string(1, '\0'));
  EXPECT_EQ(parse_form("a=b=c")[0].second, "b=c");
  EXPECT_TRUE(parse_form("").empty());
}

TEST(Form, RefusesMalformedEscapes) {
  for (const char* bad : {"t=%", "t=%4", "t=%G1", "t=100%", "%zz=1"}) {
    try {
      parse_form(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kMalformed) << bad;
    }
  }
}

}  // namespace
}  // namespace lector::api
