#pragma once
// What a Wyoming server says about itself: the `info` event answering `describe`, and the
// choice of a voice for a `synthesize` or `synthesize-start` event. Pure functions of the
// engine catalog (and, for the choice, of the server's defaults through api::Api).

#include <nlohmann/json.hpp>
#include <string>

#include "api/api.h"
#include "sched/catalog.h"

namespace lector::wyoming {

struct ProgramInfo {
  std::string version;  // Lector's
  std::string url;      // where the program lives, for `attribution.url`
};

// The data of the `info` event: one `tts` program, "lector", whose voices are every voice of
// every running engine, named by their Lector ids ("espeak:en-us"), with the fields Home
// Assistant's client requires (attribution {name, url}, installed, description, version,
// languages, speakers). espeak's variants are not listed: 131 voices x 100 variants would be
// a 13,000-voice menu; "espeak:en-us+f3" is still accepted by name.
nlohmann::json info_data(const sched::Catalog& catalog, const ProgramInfo& program);

// The engine and voice for a Wyoming voice object {name, language, speaker} (any field may be
// missing; `voice` may be null): by name, a Lector voice id or a voice of the default engine;
// else by language, the first voice speaking it (the default engine's first, an exact tag
// before a longer one before the same primary language; "en_US" is read as "en-US"); else the
// server's default. `speaker` is accepted and ignored: no engine has multi-speaker voices.
// Throws lector::Error(kBadParameter) naming "voice" for an unknown name or language.
sched::SynthesisRequest choose_voice(api::Api& api, const nlohmann::json& voice);

}  // namespace lector::wyoming
