#pragma once
// SSML (the subset Lector speaks) parsed into a flat list of pieces: speech with its voice,
// language and prosody, and pauses. A hand-written parser, so that nothing a client sends can
// make it read files, expand entities or recurse without bound:
//   - no DTD (`<!DOCTYPE` is refused), no entities but the five predefined ones (&lt; &gt;
//     &amp; &quot; &apos;) and character references (&#65; &#x41;); any other `&name;` is
//     refused, so billion-laughs and external-entity documents fail before anything expands;
//   - no processing instruction but the XML declaration; comments skipped; CDATA is text;
//   - the caps of SsmlLimits: nesting depth, element count, each pause, all pauses together.
// Elements: speak (the root), p and s (sentence boundaries), break, prosody, voice, say-as, sub,
// emphasis, lang, audio (its content is spoken, src ignored), mark (ignored). Any other
// element is transparent: its text is spoken. The values each one takes are in the README's
// SSML section.
//
// Pure functions; any thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace lector::text {

struct SsmlLimits {
  std::size_t max_depth = 16;       // elements open at once, the root included
  std::size_t max_elements = 1000;  // elements in the document
  int max_break_ms = 10000;         // one break
  int max_total_pause_ms = 60000;   // all breaks of the document together
};

// One piece of the document. A pause when break_ms > 0 (then text is empty), else speech.
struct SsmlPiece {
  std::string text;      // normalized (white space collapsed, trimmed), non-empty for speech
  std::string voice;     // `<voice name>` in effect, as written ("en-us", "flite:slt"); empty:
                         // the request's voice
  std::string language;  // xml:lang in effect; empty: the voice's own
  SynthParams params;    // multipliers on the request's speed, pitch and volume
  int break_ms = 0;
  bool is_pause() const { return break_ms > 0; }
};

// Parses `document` (UTF-8; must have a <speak> root). Adjacent text under the same voice,
// language and prosody is one piece; p and s boundaries, breaks and changes of voice or prosody
// start a new one. Throws lector::Error(kBadParameter) naming `param` and saying where
// (line:column) and what is wrong.
std::vector<SsmlPiece> parse_ssml(std::string_view document, const SsmlLimits& limits = {},
                                  const char* param = "text");

// Whether `text` is an SSML document by its start (after white space and a byte-order mark):
// `<speak` followed by white space, `>` or `/`; or an XML document's `<?xml` declaration or
// `<!DOCTYPE` (the parser then refuses what it does not take, such as the DTD). Plain text that
// merely starts with `<` is not.
bool looks_like_ssml(std::string_view text) noexcept;

}  // namespace lector::text
