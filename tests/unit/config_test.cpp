#include "app/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace lector::app {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

// A command shaped like `lector serve`: a number with a range, a text with a default, a
// repeatable option, a comma-delimited list, a flag, a secret, and --config/--print-config.
struct Command {
  CLI::App app{"test"};
  int max_requests = 128;
  std::string host = "127.0.0.1";
  std::vector<std::string> keys;
  std::vector<std::string> engines;
  bool auth_all = false;
  double ratio = 1.5;
  std::string config;
  bool print = false;

  Command() {
    app.add_option("--max-requests", max_requests, "Requests in flight")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--host", host, "Address")->capture_default_str();
    app.add_option("--api-key", keys, "Keys");
    app.add_option("--engines", engines, "Engines")->delimiter(',');
    app.add_flag("--auth-all", auth_all, "All routes");
    app.add_option("--ratio", ratio, "A ratio")->capture_default_str();
    app.add_option("--config", config, "File");
    app.add_flag("--print-config", print, "Print");
  }

  // Parses `args`, then the environment and the file; returns the error message, if any.
  std::string run(std::vector<std::string> args, const std::vector<std::string>& env) {
    std::vector<const char*> argv{"test"};
    for (const auto& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
    sources.emplace(app);
    sources->mark_secret("api-key");
    try {
      sources->apply(env);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  std::optional<ConfigSources> sources;
};

TEST(Config, PrecedenceFlagOverEnvOverFileOverDefault) {
  const std::string file = write_temp("prec.toml",
                                      "max_requests = 7\nhost = \"0.0.0.0\"\n"
                                      "engines = [\"espeak\", \"flite\"]\nratio = 0.25\n");
  Command c;
  ASSERT_EQ(c.run({"--config", file, "--max-requests", "9"},
                  {"LECTOR_MAX_REQUESTS=8", "LECTOR_HOST=::1", "PATH=/bin"}),
            "");
  EXPECT_EQ(c.max_requests, 9);                                         // flag
  EXPECT_EQ(c.host, "::1");                                             // env over file
  EXPECT_EQ(c.engines, (std::vector<std::string>{"espeak", "flite"}));  // file
  EXPECT_DOUBLE_EQ(c.ratio, 0.25);                                      // file
  EXPECT_FALSE(c.auth_all);                                             // default
  EXPECT_EQ(c.sources->source_of("max-requests"), "--max-requests");
  EXPECT_EQ(c.sources->source_of("host"), "LECTOR_HOST");
  EXPECT_EQ(c.sources->source_of("engines"), file + ":3");
  EXPECT_EQ(c.sources->source_of("auth-all"), "default");

  Command env_only;
  ASSERT_EQ(env_only.run({}, {"LECTOR_MAX_REQUESTS=8", "LECTOR_CONFIG=" + file}), "");
  EXPECT_EQ(env_only.max_requests, 8);
  EXPECT_EQ(env_only.host, "0.0.0.0");
}

TEST(Config, EnvironmentListsFlagsAndDashedKeys) {
  const std::string file = write_temp("dashed.toml", "auth-all = true\n");
  Command c;
  ASSERT_EQ(c.run({"--config", file}, {"LECTOR_API_KEY=k1,k2", "LECTOR_ENGINES=espeak,tone"}), "");
  EXPECT_EQ(c.keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.engines, (std::vector<std::string>{"espeak", "tone"}));
  EXPECT_TRUE(c.auth_all);
  Command f;
  ASSERT_EQ(f.run({}, {"LECTOR_AUTH_ALL=false", "LECTOR_TYPO=1"}), "");
  EXPECT_FALSE(f.auth_all);
  EXPECT_EQ(f.sources->unknown_variables(), (std::vector<std::string>{"LECTOR_TYPO"}));
}

TEST(Config, ErrorsNameTheKeyAndTheSource) {
  auto error = [](const std::string& toml, const std::vector<std::string>& env = {}) {
    const std::string file = write_temp("err.toml", toml);
    Command c;
    return c.run({"--config", file}, env);
  };
  std::string e = error("host = \"a\"\nmax_requests = 0\n");
  EXPECT_NE(e.find("err.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("max_requests"), std::string::npos) << e;
  e = error("max_requests = \"lots\"\n");
  EXPECT_NE(e.find("err.toml:1: max_requests"), std::string::npos) << e;
  e = error("\n\nmax_request = 5\n");
  EXPECT_NE(e.find("err.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'max_request'"), std::string::npos) << e;
  e = error("auth_all = 1\n");
  EXPECT_NE(e.find("auth_all must be true or false"), std::string::npos) << e;
  e = error("host = [\"a\", \"b\"]\n");
  EXPECT_NE(e.find("takes one value"), std::string::npos) << e;
  e = error("max_requests = 5\nmax-requests = 6\n");
  EXPECT_NE(e.find("set twice"), std::string::npos) << e;
  e = error("host = \"unterminated\n");
  EXPECT_NE(e.find("err.toml:1:"), std::string::npos) << e;
  e = error("print_config = true\n");
  EXPECT_NE(e.find("unknown key 'print_config'"), std::string::npos) << e;
  e = error("", {"LECTOR_MAX_REQUESTS=5000"});
  EXPECT_NE(e.find("LECTOR_MAX_REQUESTS"), std::string::npos) << e;
  // A bad value in the file is not reached when the command line sets the key.
  Command c;
  EXPECT_EQ(
      c.run({"--config", write_temp("over.toml", "max_requests = 5\n"), "--max-requests", "6"}, {}),
      "");
  EXPECT_EQ(c.max_requests, 6);
}

TEST(Config, PrintedConfigurationReadsBackAndHidesSecrets) {
  Command c;
  ASSERT_EQ(
      c.run({"--api-key", "supersecret", "--engines", "espeak,flite", "--host", "say \"hi\"\\"},
            {"LECTOR_RATIO=0.5"}),
      "");
  const std::string toml = c.sources->to_toml();
  EXPECT_EQ(toml.find("supersecret"), std::string::npos) << toml;
  EXPECT_NE(toml.find("api_key = [\"<redacted>\"]"), std::string::npos) << toml;
  EXPECT_NE(toml.find("max_requests = 128\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("ratio = 0.5  # from LECTOR_RATIO"), std::string::npos) << toml;
  EXPECT_NE(toml.find("auth_all = false"), std::string::npos) << toml;
  EXPECT_EQ(toml.find("config ="), std::string::npos) << toml;

  // Read back, the file gives the same values.
  Command back;
  ASSERT_EQ(back.run({"--config", write_temp("printed.toml", toml)}, {}), "");
  EXPECT_EQ(back.host, "say \"hi\"\\");
  EXPECT_EQ(back.engines, (std::vector<std::string>{"espeak", "flite"}));
  EXPECT_DOUBLE_EQ(back.ratio, 0.5);
  EXPECT_EQ(back.max_requests, 128);
  EXPECT_EQ(back.keys, (std::vector<std::string>{"<redacted>"}));
}

}  // namespace
}  // namespace lector::app
