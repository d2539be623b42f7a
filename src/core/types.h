#pragma once
// Plain value types shared by every module. No JSON, no transport, no engine headers here.

#include <cstdint>
#include <string>
#include <vector>

namespace lector {

enum class Gender : std::uint8_t { kUnknown = 0, kMale = 1, kFemale = 2 };

inline const char* to_string(Gender g) noexcept {
  switch (g) {
    case Gender::kMale:
      return "male";
    case Gender::kFemale:
      return "female";
    default:
      return "unknown";
  }
}

// A voice as an engine reports it. `name` is what the seed's routes list and accept.
struct VoiceInfo {
  std::string name;          // e.g. "en-us" (espeak language tag)
  std::string display_name;  // e.g. "English (America)"
  std::string language;      // BCP-47, e.g. "en-US"
  Gender gender = Gender::kUnknown;
  std::string engine_id;  // the engine's own identifier, e.g. "gmw/en-US"
  int sample_rate = 0;    // native output rate in Hz; 0 means the engine's sample_rate()
};

// Audio parameters of one synthesis, as multipliers of the voice's defaults.
// Ranges are validated in api/; engines map them onto their native parameters.
struct SynthParams {
  double speed = 1.0;   // 0.25 .. 4.0
  double pitch = 1.0;   // 0.5 .. 2.0
  double volume = 1.0;  // 0.0 .. 2.0
  bool operator==(const SynthParams&) const = default;
};

}  // namespace lector
