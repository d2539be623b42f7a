#pragma once
// Every option of a CLI11 command, also settable in a TOML file and through environment
// variables, without per-option code: `--max-requests` is `max_requests = 128` in the file
// (`max-requests` works too) and LECTOR_MAX_REQUESTS in the environment. Precedence: command
// line > environment > file > default. Applied after CLI11 has parsed the command line, to
// the options it left unset, through CLI11's own conversion and validators, so a value from
// the file or the environment is checked exactly like the same value on the command line.
//
// Why toml++ and not CLI11's config reader: CLI11 2.1 reads an INI/TOML-like subset (no
// multi-line or literal strings with escapes as TOML defines them, no inline tables), says
// nothing about where a bad value is, and in 2.1 lets a config file win over the environment.
// toml++ parses real TOML and gives every value its line.
//
// Threading: start-up only, one thread.

#include <CLI/CLI.hpp>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lector::app {

// A value that does not convert or validate, an unknown key, a file that does not parse. The
// message names the key and where it came from (FILE:LINE, the environment variable).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigSources {
 public:
  // `command`'s options must all be added already. `config_option` and `print_option` are the
  // long names of the options that name the file and ask for --print-config; they, and
  // --help, are not settable from the file.
  ConfigSources(CLI::App& command, std::string env_prefix = "LECTOR_",
                std::string config_option = "config", std::string print_option = "print-config");

  // Options whose values --print-config replaces with "<redacted>" (long name, e.g. "api-key").
  void mark_secret(const std::string& long_name) { secret_.insert(long_name); }

  // Call after command-line parsing. `environment` is "NAME=VALUE" entries (environ). The
  // file is the --config option's value, else the <PREFIX>CONFIG variable's, else none.
  // Throws ConfigError.
  void apply(const std::vector<std::string>& environment);

  // Where the option `long_name` got its value: "--max-requests", "LECTOR_MAX_REQUESTS",
  // "FILE:LINE" or "default".
  std::string source_of(const std::string& long_name) const;
  // LECTOR_* variables that name no option (typos), for a warning.
  const std::vector<std::string>& unknown_variables() const { return unknown_variables_; }
  // The effective configuration, as a TOML file that --config reads back (secrets redacted).
  std::string to_toml() const;

  // The file key and the variable name of a long option name.
  static std::string key_of(const std::string& long_name);
  std::string variable_of(const std::string& long_name) const;

 private:
  bool settable(const CLI::Option& option) const;
  CLI::Option* find(const std::string& key) const;
  void set(CLI::Option& option, const std::vector<std::string>& values, const std::string& source);
  void apply_file(const std::string& path);

  CLI::App& command_;
  std::string prefix_;
  std::string config_option_;
  std::string print_option_;
  std::set<std::string> secret_;
  std::map<std::string, std::string> sources_;  // long name -> where its value came from
  std::vector<std::string> unknown_variables_;
};

// The process's environment, as "NAME=VALUE" entries.
std::vector<std::string> process_environment();

}  // namespace lector::app
