// The server's lexicon file (api/lexicon_store.h): loaded at start, swapped on reload, kept when
// the file has gone bad.

#include "api/lexicon_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.h"

namespace lector::api {
namespace {

class LexiconFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/lector-lexicon-XXXXXX";
    const int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = name;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& content) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::string path_;
};

TEST_F(LexiconFile, AMissingFileIsAnErrorNamingIt) {
  try {
    LexiconStore store("/nonexistent/lexicon.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/lexicon.txt"), std::string::npos)
        << e.what();
  }
}

TEST_F(LexiconFile, ReloadSwapsTheLexiconAndAFailedOneKeepsIt) {
  write("# comment\nsoup\tstew\n");
  LexiconStore store(path_);
  const auto first = store.current();
  ASSERT_NE(first, nullptr);
  write("soup\tbroth\n");
  EXPECT_TRUE(store.reload());
  const auto second = store.current();
  EXPECT_NE(second, first);  // a new lexicon; holders of the old one keep theirs
  EXPECT_NE(first, nullptr);
  std::remove(path_.c_str());
  EXPECT_FALSE(store.reload());
  EXPECT_EQ(store.current(), second);
}

}  // namespace
}  // namespace lector::api
