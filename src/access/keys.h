#pragma once
// API keys: where they come from (--api-key, a keys file) and how a presented key is found.
//
// A presented key is hashed (SHA-256) and compared with the digest of every configured key
// with CRYPTO_memcmp, always over all of them: the time taken does not depend on where a
// wrong key first differs, nor on which key matched. The keys themselves are not kept.
//
// Threading: a KeyRing is immutable after construction; any thread may call find().

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lector::access {

struct KeySpec {
  std::string name;                // what logs and metrics show; never the key
  std::string key;                 // the secret
  double daily_audio_seconds = 0;  // audio seconds a UTC day; 0: unlimited
  double requests_per_minute = 0;  // synthesis requests a minute; 0: unlimited
  bool admin = false;              // may call /set_engine and /setvoice
};

// Reads a keys file (TOML, README "Keys and limits"):
//   [[key]]
//   name = "alice"
//   key = "..."
//   daily_audio_seconds = 3600   # optional
//   requests_per_minute = 60     # optional
//   admin = true                 # optional
// Throws std::runtime_error "FILE:LINE: ..." naming the field at fault.
std::vector<KeySpec> load_keys_file(const std::string& path);

// Checks one key (from either source); throws std::invalid_argument saying what is wrong,
// without the key itself.
void validate_key(const KeySpec& spec);

using Digest = std::array<unsigned char, 32>;
Digest sha256(std::string_view data);

// Compares two digests in time independent of their contents.
bool digests_equal(const Digest& a, const Digest& b) noexcept;

class KeyRing {
 public:
  // Throws std::invalid_argument on an invalid key, a repeated name or a repeated key.
  explicit KeyRing(const std::vector<KeySpec>& keys);
  bool empty() const { return digests_.empty(); }
  std::size_t size() const { return digests_.size(); }
  // The index of the key `presented` is, if any (in the order given to the constructor).
  std::optional<std::size_t> find(std::string_view presented) const;

 private:
  std::vector<Digest> digests_;
};

}  // namespace lector::access
