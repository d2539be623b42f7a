#pragma once
// Request targets: "/path?a=1&b=x%20y" -> path and decoded parameters. Pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lector::api {

struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;  // in order, percent-decoded

  // The first value of `name`, if present.
  std::optional<std::string> get(std::string_view name) const;
};

// Decodes %XX and '+' (space). Throws lector::Error(kBadParameter) on a malformed escape.
std::string percent_decode(std::string_view s, bool plus_is_space = true);
Target parse_target(std::string_view target);

}  // namespace lector::api
