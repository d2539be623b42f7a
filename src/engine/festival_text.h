#pragma once
// Pure text helpers of the festival engine: what festival's voices are given to read, and how
// their descriptions become VoiceInfo fields. No festival headers and no global state; callable
// from any thread (to_voice_charset switches the calling thread's locale for its duration).

#include <string>
#include <string_view>

#include "core/types.h"

namespace lector::engine::festival_text {

// Several voices' letter-to-sound rules (Russian, Italian) have no entry for typographic
// quotes, dashes or the ellipsis and fail the whole utterance on them; the ASCII forms read
// the same. A dash becomes a comma attached to the word before it: "a — b" -> "a,  b".
// Other text, including invalid UTF-8, passes through unchanged.
std::string plain_punctuation(std::string_view utf8);

// Festival reads bytes in the voice's declared character set (`coding`, lower case; empty for
// the English voices, which read ASCII). Characters the target set lacks are transliterated
// ("é" -> "e" for ASCII) or become '?'; an invalid UTF-8 sequence becomes one space; NUL bytes
// become spaces. For "utf-8" voices the text is passed through.
std::string to_voice_charset(std::string_view utf8, const std::string& coding);

// BCP-47 tag of a festival voice description's language and dialect ("und" when unknown).
std::string to_bcp47(const std::string& language, const std::string& dialect);

// "English (American), male: kal_diphone" from a voice's description fields.
std::string display_name(const std::string& language, const std::string& dialect, Gender gender,
                         const std::string& voice);

// Gender from a voice description's gender field ("male", "Female", ...).
Gender to_gender(const std::string& field);

// True for names safe to splice into a Scheme expression as a symbol: [A-Za-z0-9_-]+.
bool is_plain_name(const std::string& s);

// A number as a Scheme literal, shortest round-trip form ("0.5"); "1" if it cannot be written.
std::string format_number(double v);

// ASCII lower case.
std::string lower(std::string s);

}  // namespace lector::engine::festival_text
