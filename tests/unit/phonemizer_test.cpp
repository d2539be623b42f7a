// The phonemizer against the reference the end-to-end tests use: the `espeak-ng -q --ipa`
// command line run on each clause (phonemizer.h states the rule), so that the ids a Piper or
// Kokoro voice receives are the ones a test can derive without Lector.

#include "engine/neural/phonemizer.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/error.h"

extern char** environ;

namespace lector::engine::neural {
namespace {

// Runs a program with `args` (no shell) and returns its standard output.
std::string run(std::vector<std::string> args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  if (rc == 0) waitpid(pid, nullptr, 0);
  return out;
}

std::string to_utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// The rule of phonemizer.h, with the command line as the phonemizer: its output lines (one per
// piece) are joined by one space.
std::string reference(const std::string& voice, const std::string& text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  auto trim = [&](std::string s) {
    while (!s.empty() && space(s.front())) s.erase(s.begin());
    while (!s.empty() && space(s.back())) s.pop_back();
    return s;
  };
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    char mark = 0;
    for (; end < text.size(); ++end) {
      const char c = text[end];
      if (std::string(",;:.!?").find(c) != std::string::npos &&
          (end + 1 == text.size() || space(text[end + 1]))) {
        mark = c;
        ++end;
        break;
      }
    }
    const std::string clause = trim(text.substr(start, end - start));
    start = end;
    std::string ipa;
    if (!clause.empty()) {
      std::string lines = run({"espeak-ng", "-q", "--ipa", "-v", voice, clause});
      for (std::size_t p = 0; p < lines.size();) {
        std::size_t nl = lines.find('\n', p);
        if (nl == std::string::npos) nl = lines.size();
        const std::string line = trim(lines.substr(p, nl - p));
        if (!line.empty()) ipa += (ipa.empty() ? "" : " ") + line;
        p = nl + 1;
      }
    }
    if (ipa.empty() && mark == 0) continue;
    if (!out.empty()) out += ' ';
    out += ipa;
    if (mark != 0) out += mark;
  }
  return out;
}

Phonemizer& phonemizer() {
  static Phonemizer p;
  return p;
}

TEST(Phonemizer, MatchesTheCommandLinePerClause) {
  ASSERT_FALSE(run({"espeak-ng", "--version"}).empty()) << "espeak-ng (the CLI) is needed";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"en-us", "Hello world."},
      {"en-us", "Hello world, this is a test; of clauses: all of them! Really? Yes"},
      {"en-us", "The year 1984 had 3.5 million people... e.g. Dr. Smith"},
      {"en-us", "  spaces   around  ,  a comma  "},
      {"de", "Guten Tag, wie geht es Ihnen? Mir geht es gut."},
      {"fr-fr", "Bonjour le monde."},
      {"en-gb", "Colour, favourite."},
  };
  for (const auto& [voice, text] : cases) {
    const std::string got = to_utf8(phonemizer().phonemize(voice, text));
    EXPECT_EQ(got, reference(voice, text)) << voice << ": " << text;
    EXPECT_FALSE(got.empty());
  }
}

TEST(Phonemizer, KnownShape) {
  // The marks stay, each clause's phonemes precede its mark, clauses are joined by one space.
  EXPECT_EQ(to_utf8(phonemizer().phonemize("en-us", "Hello, world!")),
            "h\u0259l\u02c8o\u028a, w\u02c8\u025c\u02d0ld!");
  EXPECT_TRUE(phonemizer().phonemize("en-us", "").empty());
  EXPECT_TRUE(phonemizer().phonemize("en-us", "   ").empty());
}

TEST(Phonemizer, UnknownVoice) {
  EXPECT_FALSE(phonemizer().has_voice("xx-nonexistent"));
  EXPECT_TRUE(phonemizer().has_voice("en-us"));
  EXPECT_TRUE(phonemizer().has_voice("de"));
  try {
    phonemizer().phonemize("xx-nonexistent", "hello");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadParameter);
    EXPECT_NE(std::string(e.what()).find("xx-nonexistent"), std::string::npos);
  }
}

}  // namespace
}  // namespace lector::engine::neural
