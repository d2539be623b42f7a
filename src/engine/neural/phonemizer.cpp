#include "engine/neural/phonemizer.h"

#include <espeak-ng/speak_lib.h>

#include <cstdint>
#include <mutex>

#include "core/error.h"

namespace lector::engine::neural {
namespace {

// libespeak-ng keeps one global state per process, whatever the number of Phonemizers.
std::mutex& espeak_mutex() {
  static std::mutex m;
  return m;
}

bool is_clause_mark(char c) {
  return c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// espeak-ng returns valid UTF-8; a stray or truncated sequence becomes U+FFFD.
void append_utf32(std::u32string& out, std::string_view utf8) {
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const std::size_t extra = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    if ((lead & 0xC0u) == 0x80u || i + extra >= utf8.size()) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    char32_t cp = extra == 0 ? lead : lead & (0x7Fu >> (extra + 1));
    for (std::size_t k = 1; k <= extra; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    }
    out += cp;
    i += extra + 1;
  }
}

// As the espeak-ng command line does: a voice's name or file ("fr", "gmw/en-US"), else a
// language ("fr-fr", "en-gb", which name no voice file).
bool select_voice(const std::string& voice) {
  if (espeak_SetVoiceByName(voice.c_str()) == EE_OK) return true;
  espeak_VOICE wanted{};
  wanted.languages = voice.c_str();
  return !voice.empty() && espeak_SetVoiceByProperties(&wanted) == EE_OK;
}

}  // namespace

Phonemizer::Phonemizer() {
  std::lock_guard lock(espeak_mutex());
  static const int rate =
      espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0) throw Error(ErrorCode::kUnavailable, "espeak-ng failed to initialise");
}

bool Phonemizer::has_voice(const std::string& voice) {
  std::lock_guard lock(espeak_mutex());
  return select_voice(voice);
}

std::u32string Phonemizer::phonemize(const std::string& voice, std::string_view text) {
  std::lock_guard lock(espeak_mutex());
  // Set every time: another user of libespeak-ng in this process (the espeak engine in the
  // unit tests) may have changed it; selecting the current voice again costs microseconds.
  if (!select_voice(voice)) {
    throw bad_parameter("voice", "espeak-ng has no voice '" + voice + "'");
  }
  std::u32string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    char mark = 0;
    for (; end < text.size(); ++end) {
      if (is_clause_mark(text[end]) && (end + 1 == text.size() || is_space(text[end + 1]))) {
        mark = text[end];
        ++end;
        break;
      }
    }
    const std::string clause(trim(text.substr(start, end - start)));
    start = end;
    std::string ipa;
    const void* pos = clause.c_str();
    while (pos != nullptr) {
      const char* piece = espeak_TextToPhonemes(&pos, espeakCHARS_UTF8, espeakPHONEMES_IPA);
      if (piece == nullptr) break;
      const std::string_view trimmed = trim(piece);
      if (trimmed.empty()) continue;
      if (!ipa.empty()) ipa += ' ';
      ipa += trimmed;
    }
    if (ipa.empty() && mark == 0) continue;
    if (!out.empty()) out += U' ';
    append_utf32(out, ipa);
    if (mark != 0) out += static_cast<char32_t>(mark);
  }
  return out;
}

}  // namespace lector::engine::neural
