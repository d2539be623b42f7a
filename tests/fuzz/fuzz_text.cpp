// The text front end (text/frontend.h: clean-up, segmentation, normalization) on any text, with
// clean-up and normalization on: it never crashes, every span of every segment lies inside the
// text as sent, and feeding the text in two pieces gives the same segments and spans as the
// whole (the clean-up's and the segmenter's streaming contracts together).

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "text/frontend.h"
#include "text/utf8.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& text) {
  std::fprintf(stderr, "text front end invariant broken: %s\ntext: [%s]\n", what, text.c_str());
  std::abort();
}

std::vector<lector::text::MappedText> run(const lector::text::FrontendOptions& o,
                                          const std::string& text, std::size_t cut) {
  lector::text::Frontend f(o);
  std::vector<lector::text::MappedText> out = f.feed(std::string_view(text).substr(0, cut));
  for (auto& m : f.feed(std::string_view(text).substr(cut))) out.push_back(std::move(m));
  for (auto& m : f.flush()) out.push_back(std::move(m));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static const char* const kLanguages[] = {"en-us", "de", "fr-fr", "es", "cmn"};
  lector::text::FrontendOptions o;
  o.language = kLanguages[in.ConsumeIntegralInRange<int>(0, 4)];
  o.cleanup.code = in.ConsumeBool() ? lector::text::CleanupOptions::Code::kRead
                                    : lector::text::CleanupOptions::Code::kSkip;
  o.cleanup.emoji = in.ConsumeBool() ? lector::text::CleanupOptions::Emoji::kName
                                     : lector::text::CleanupOptions::Emoji::kRemove;
  const std::size_t cut_at = in.ConsumeIntegral<std::uint16_t>();
  const std::string text = in.ConsumeRemainingBytesAsString();
  // The routes accept valid UTF-8 only.
  if (!lector::text::is_valid_utf8(text)) return 0;
  const std::size_t chars = lector::text::count_code_points(text);
  std::size_t cut = text.empty() ? 0 : cut_at % (text.size() + 1);
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // a piece boundary on a code point: as the WebSocket routes receive text
  try {
    const auto whole = run(o, text, text.size());
    for (const auto& m : whole) {
      if (m.spans.size() != lector::text::count_code_points(m.text)) fail("span count", text);
      for (const auto& s : m.spans)
        if (s.start > s.end || s.end > chars) fail("span outside the text", text);
    }
    const auto split = run(o, text, cut);
    if (split.size() != whole.size()) fail("a split changes the segments", text);
    for (std::size_t i = 0; i < whole.size(); ++i)
      if (split[i].text != whole[i].text || split[i].spans != whole[i].spans)
        fail("a split changes a segment", text);
  } catch (const lector::Error&) {
    // Text too large for the segmenter: a clean refusal.
  }
  return 0;
}
