#pragma once
// Normalization that reads the same on every engine: numbers, ordinals, decimals, currency
// amounts, percentages, times, dates, ranges, units and common abbreviations are written out
// as words (ICU's RuleBasedNumberFormat spellout) for English, German, French and Spanish;
// other languages pass through unchanged for the engine to read. Applied to one segment at a
// time, after segmentation. Pure and thread-safe.

#include <string_view>

#include "text/source_map.h"

namespace lector::text {

// `segment` written out for `language` (a BCP-47 tag or an espeak voice name: "en-us", "de",
// "fr-fr", "es"). Spans of the result point where `segment`'s spans point.
MappedText verbalize(const MappedText& segment, std::string_view language);

}  // namespace lector::text
