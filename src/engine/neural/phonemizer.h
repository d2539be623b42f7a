#pragma once
// Text to IPA phonemes with libespeak-ng, for the neural engines (Piper and Kokoro voices are
// trained on espeak-ng's IPA). libespeak-ng is not thread-safe: calls are serialised, across
// every Phonemizer of the process (its state is global). Any thread may call.
//
// The rule (the tests derive the same phonemes from the `espeak-ng -q --ipa` command line):
// the text is cut into clauses after each of , ; : . ! ? that is followed by white space or
// ends the text; each clause is phonemized on its own (espeak_TextToPhonemes in IPA mode, the
// pieces it returns joined by one space, surrounding white space trimmed), then followed by
// its punctuation mark; clauses are joined by one space.

#include <string>
#include <string_view>

namespace lector::engine::neural {

class Phonemizer {
 public:
  // Initialises libespeak-ng (no audio output). Throws lector::Error(kUnavailable) if it
  // cannot.
  Phonemizer();
  // IPA of `text` in espeak-ng voice `voice` (e.g. "en-us"), as UTF-32. Throws
  // lector::Error(kBadParameter) for a voice espeak-ng does not have.
  std::u32string phonemize(const std::string& voice, std::string_view text);
  // Whether espeak-ng has voice `voice` (a Piper voice's espeak.voice, e.g. "en-us").
  bool has_voice(const std::string& voice);
};

}  // namespace lector::engine::neural
