#pragma once
// OpenAI's model and voice names, mapped onto Lector's engines and voices for
// POST /v1/audio/speech. Pure functions over a catalog snapshot.
//
// `model` is an engine name, or one of OpenAI's models (tts-1, tts-1-hd, gpt-4o-mini-tts,
// gpt-4o-tts), which mean the server's default engine. An OpenAI voice name (alloy, ash, ...)
// becomes, per engine:
//   1. the voice configured for it with --openai-voice NAME=ENGINE:VOICE, if any;
//   2. the engine's own voice of that name, if it has one (an OpenAI upstream);
//   3. an English voice of the engine with the name's gender (alloy, coral, marin, nova,
//      sage, shimmer are female; ash, ballad, cedar, echo, fable, onyx, verse male), spread
//      over the engine's voices of that gender in the order above; for an engine with no
//      voice of that gender but with variants (espeak-ng's +f1..+f5), its English voice with
//      such a variant;
//   4. the engine's default voice.
// Any other voice is a Lector voice id ("flite:slt", "en-us").

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sched/catalog.h"

namespace lector::api {

// OpenAI's voice names, in the order they are documented.
const std::vector<std::string_view>& openai_voice_names();
// OpenAI's speech model names.
const std::vector<std::string_view>& openai_model_names();
bool is_openai_model(std::string_view model);

// A configured mapping: OpenAI voice name -> "engine:voice".
struct OpenAiVoiceOverride {
  std::string name;
  std::string engine;
  std::string voice;
};

// Parses "NAME=ENGINE:VOICE" (the --openai-voice flag); nullopt when malformed or NAME is not
// an OpenAI voice name.
std::optional<OpenAiVoiceOverride> parse_openai_voice(std::string_view spec);

// The voice of `engine` that OpenAI voice `name` stands for; empty when `name` is not an
// OpenAI voice name. `default_voice` is the engine's default (rule 4).
std::string map_openai_voice(std::string_view name, const sched::EngineInfo& engine,
                             const std::vector<OpenAiVoiceOverride>& overrides,
                             const std::string& default_voice);

// The engine a configured override sends an OpenAI voice name to when the model does not
// name an engine (the first override for that name); nullopt when there is none.
std::optional<std::string> openai_voice_engine(std::string_view name,
                                               const std::vector<OpenAiVoiceOverride>& overrides);

}  // namespace lector::api
