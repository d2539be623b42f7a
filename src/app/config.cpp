#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <sstream>

extern char** environ;

namespace lector::app {
namespace {

bool is_vector(const CLI::Option& o) {
  return o.get_items_expected_max() >= CLI::detail::expected_max_vector_size;
}

bool is_flag(const CLI::Option& o) {
  return o.get_items_expected_max() == 0;
}

bool is_numeric(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  for (const char* t : {"INT", "UINT", "FLOAT", "NUMBER"}) {
    const std::string_view name(t);
    if (type.size() >= name.size() && type.compare(0, name.size(), name) == 0 &&
        (type.size() == name.size() || type[name.size()] == ':'))
      return true;
  }
  return false;
}

std::string line_of(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

// A TOML scalar as the text CLI11 converts.
std::string scalar_text(const toml::node& node, const std::string& at) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* f = node.as_floating_point()) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f->get());
    return ec == std::errc() ? std::string(buf, end) : std::to_string(f->get());
  }
  throw ConfigError(at + " must be a string, a number or true/false");
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

bool parses_as_number(const std::string& v) {
  if (v.empty()) return false;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  // TOML has no hex floats, "inf" or leading '+' on integers that CLI11 might accept.
  return end == v.c_str() + v.size() && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == 'e' ||
                  c == 'E';
         });
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

ConfigSources::ConfigSources(CLI::App& command, std::string env_prefix, std::string config_option,
                             std::string print_option)
    : command_(command),
      prefix_(std::move(env_prefix)),
      config_option_(std::move(config_option)),
      print_option_(std::move(print_option)) {}

std::string ConfigSources::key_of(const std::string& long_name) {
  std::string key = long_name;
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

std::string ConfigSources::variable_of(const std::string& long_name) const {
  std::string var = prefix_ + key_of(long_name);
  for (char& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return var;
}

bool ConfigSources::settable(const CLI::Option& option) const {
  if (option.get_lnames().empty() || option.get_positional()) return false;
  const std::string& name = option.get_lnames().front();
  return name != "help" && name != config_option_ && name != print_option_;
}

CLI::Option* ConfigSources::find(const std::string& key) const {
  std::string name = key;
  std::replace(name.begin(), name.end(), '_', '-');
  for (CLI::Option* o : command_.get_options())
    if (settable(*o) && o->get_lnames().front() == name) return o;
  return nullptr;
}

void ConfigSources::set(CLI::Option& option, const std::vector<std::string>& values,
                        const std::string& source) {
  try {
    for (const std::string& v : values) option.add_result(v);
    option.run_callback();
  } catch (const CLI::Error& e) {
    throw ConfigError(source + " = '" + join(values) + "': " + e.what());
  }
  sources_[option.get_lnames().front()] = source;
}

void ConfigSources::apply(const std::vector<std::string>& environment) {
  std::map<std::string, std::string> vars;
  for (const std::string& entry : environment) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || entry.compare(0, prefix_.size(), prefix_) != 0) continue;
    vars.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }

  std::string file;
  const std::string config_var = prefix_ + "CONFIG";
  if (CLI::Option* c = command_.get_option_no_throw("--" + config_option_)) {
    if (c->count() > 0) {
      file = c->results().front();
    } else if (auto it = vars.find(config_var); it != vars.end() && !it->second.empty()) {
      file = it->second;
      set(*c, {file}, config_var);
    }
  }
  vars.erase(config_var);

  for (CLI::Option* o : command_.get_options()) {
    if (!settable(*o)) continue;
    const auto it = vars.find(variable_of(o->get_lnames().front()));
    if (it == vars.end()) continue;
    const std::string var = it->first;
    const std::string value = it->second;
    vars.erase(it);
    if (o->count() > 0) continue;  // the command line wins
    std::vector<std::string> values;
    if (is_vector(*o)) {
      // Repeatable options take a comma-separated list from one variable.
      std::stringstream in(value);
      for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) values.push_back(item);
      if (values.empty()) continue;
    } else {
      values.push_back(value);
    }
    set(*o, values, var);
  }
  for (const auto& [name, value] : vars) unknown_variables_.push_back(name);

  if (!file.empty()) apply_file(file);
}

void ConfigSources::apply_file(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                      ": " + std::string(e.description()));
  }
  std::set<const CLI::Option*> from_file;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    const std::string at = line_of(path, node);
    CLI::Option* o = find(key);
    if (o == nullptr) {
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      std::string message = at;
      message += ": unknown key '" + key + "' (`lector serve --help` lists the flags; --";
      message += flag + " is not one of them)";
      throw ConfigError(message);
    }
    if (!from_file.insert(o).second) {
      std::string message = at;
      message += ": '" + key + "' is set twice in the file";
      throw ConfigError(message);
    }
    if (o->count() > 0) continue;  // the command line or the environment wins
    std::string where = at;
    where += ": " + key;
    std::vector<std::string> values;
    if (const toml::array* array = node.as_array()) {
      if (!is_vector(*o)) throw ConfigError(where + " takes one value, not an array");
      for (const toml::node& item : *array) values.push_back(scalar_text(item, where));
      if (values.empty()) continue;
    } else {
      if (is_flag(*o) && !node.is_boolean()) throw ConfigError(where + " must be true or false");
      values.push_back(scalar_text(node, where));
    }
    set(*o, values, where);
  }
}

std::string ConfigSources::source_of(const std::string& long_name) const {
  if (const auto it = sources_.find(long_name); it != sources_.end()) {
    // "FILE:LINE: key" -> "FILE:LINE"
    const auto colon = it->second.rfind(": ");
    return colon == std::string::npos ? it->second : it->second.substr(0, colon);
  }
  const CLI::Option* o = command_.get_option_no_throw("--" + long_name);
  return o != nullptr && o->count() > 0 ? "--" + long_name : "default";
}

std::string ConfigSources::to_toml() const {
  std::ostringstream out;
  out << "# lector serve: the effective configuration (command line > LECTOR_* environment > "
         "--config file > default)\n";
  for (const CLI::Option* o : command_.get_options()) {
    if (!settable(*o)) continue;
    const std::string name = o->get_lnames().front();
    const std::string key = key_of(name);
    std::string description = o->get_description();
    std::replace(description.begin(), description.end(), '\n', ' ');
    out << "\n# " << description << "\n";
    std::vector<std::string> values;
    if (o->count() > 0) {
      values = o->results();
    } else if (is_flag(*o)) {
      values = {o->get_default_str().empty() ? "false" : o->get_default_str()};
    } else if (!o->get_default_str().empty()) {
      values = {o->get_default_str()};
    }
    if (values.empty()) {
      out << "# " << key << " =\n";
      continue;
    }
    const bool secret = secret_.count(name) > 0 && o->count() > 0;
    auto format = [&](const std::string& v) -> std::string {
      if (secret) return toml_string("<redacted>");
      if (is_flag(*o)) {
        const bool on = v == "true" || v == "1" || v == "yes" || v == "on";
        return on ? "true" : "false";
      }
      if (is_numeric(*o) && parses_as_number(v)) return v;
      return toml_string(v);
    };
    out << key << " = ";
    if (is_vector(*o)) {
      out << "[";
      for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << format(values[i]);
      out << "]";
    } else {
      out << format(values.back());
    }
    const std::string source = source_of(name);
    if (source != "default") out << "  # from " << source;
    out << "\n";
  }
  return out.str();
}

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace lector::app
