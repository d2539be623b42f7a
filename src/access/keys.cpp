#include "access/keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include <set>
#include <stdexcept>

namespace lector::access {
namespace {

constexpr std::size_t kMaxKeyBytes = 512;

std::string where(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line);
}

double non_negative_number(const toml::node& node, const std::string& at, const char* field) {
  std::optional<double> v = node.value<double>();
  if (!v || *v < 0 || *v > 1e12)
    throw std::runtime_error(at + ": '" + field + "' must be a number, 0 or more");
  return *v;
}

// "FILE:LINE: 'field' problem"
std::string field_error(const std::string& at, const std::string& field, const char* problem) {
  std::string message = at;
  message += ": '";
  message += field;
  message += "' ";
  message += problem;
  return message;
}

}  // namespace

void validate_key(const KeySpec& spec) {
  if (spec.name.empty()) throw std::invalid_argument("a key needs a name");
  for (char c : spec.name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      throw std::invalid_argument("key name '" + spec.name +
                                  "': use letters, digits, '_', '-' and '.' only");
  }
  if (spec.key.empty()) throw std::invalid_argument("key '" + spec.name + "' is empty");
  if (spec.key.size() > kMaxKeyBytes)
    throw std::invalid_argument("key '" + spec.name + "' is longer than " +
                                std::to_string(kMaxKeyBytes) + " bytes");
  // What a client can send after "Bearer " in a header or in a query parameter unchanged.
  for (unsigned char c : spec.key)
    if (c <= 0x20 || c >= 0x7f)
      throw std::invalid_argument("key '" + spec.name +
                                  "' holds a space, a control or a non-ASCII character");
}

std::vector<KeySpec> load_keys_file(const std::string& path) {
  toml::table file;
  try {
    file = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(where(path, e.source()) + ": " + std::string(e.description()));
  }
  std::vector<KeySpec> keys;
  for (const auto& [name, node] : file) {
    if (name.str() != "key")
      throw std::runtime_error(where(path, node.source()) + ": unknown table '" +
                               std::string(name.str()) + "' (expected [[key]] entries)");
  }
  const toml::node_view entries = file["key"];
  if (!entries) return keys;
  const toml::array* array = entries.as_array();
  if (array == nullptr)
    throw std::runtime_error(where(path, entries.node()->source()) +
                             ": 'key' must be an array of tables, [[key]]");
  for (const toml::node& entry : *array) {
    const std::string at = where(path, entry.source());
    const toml::table* t = entry.as_table();
    if (t == nullptr) throw std::runtime_error(at + ": each [[key]] must be a table");
    KeySpec spec;
    for (const auto& [field, value] : *t) {
      const std::string f(field.str());
      const std::string field_at = where(path, value.source());
      if (f == "name" || f == "key") {
        const std::optional<std::string> s = value.value<std::string>();
        if (!s) throw std::runtime_error(field_error(field_at, f, "must be a string"));
        (f == "name" ? spec.name : spec.key) = *s;
      } else if (f == "daily_audio_seconds") {
        spec.daily_audio_seconds = non_negative_number(value, field_at, "daily_audio_seconds");
      } else if (f == "requests_per_minute") {
        spec.requests_per_minute = non_negative_number(value, field_at, "requests_per_minute");
      } else if (f == "admin") {
        const std::optional<bool> b = value.value<bool>();
        if (!b || !value.is_boolean())
          throw std::runtime_error(field_at + ": 'admin' must be true or false");
        spec.admin = *b;
      } else {
        throw std::runtime_error(field_error(
            field_at, f,
            "is not a field (name, key, daily_audio_seconds, requests_per_minute, admin)"));
      }
    }
    try {
      validate_key(spec);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(at + ": " + e.what());
    }
    keys.push_back(std::move(spec));
  }
  return keys;
}

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr) != 1 ||
      n != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

bool digests_equal(const Digest& a, const Digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

KeyRing::KeyRing(const std::vector<KeySpec>& keys) {
  std::set<std::string> names;
  for (const KeySpec& k : keys) {
    validate_key(k);
    if (!names.insert(k.name).second)
      throw std::invalid_argument("key name '" + k.name + "' is used twice");
    Digest d = sha256(k.key);
    for (const Digest& other : digests_)
      if (digests_equal(d, other))
        throw std::invalid_argument("key '" + k.name + "' is the same key as another one");
    digests_.push_back(d);
  }
}

std::optional<std::size_t> KeyRing::find(std::string_view presented) const {
  const Digest d = sha256(presented);
  // Every digest is compared, whatever matched before: no early exit.
  std::size_t found = digests_.size();
  for (std::size_t i = 0; i < digests_.size(); ++i) {
    const bool equal = digests_equal(d, digests_[i]);
    found = equal ? i : found;
  }
  if (found == digests_.size()) return std::nullopt;
  return found;
}

}  // namespace lector::access
