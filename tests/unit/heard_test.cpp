// What a listener heard of a request's audio (api/heard.h), and the per-request text options
// (api/text_options.h).

#include "api/heard.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/text_options.h"
#include "core/error.h"

namespace lector::api {
namespace {

using Kind = sched::AudioMark::Kind;

sched::AudioMark word(std::size_t segment, std::size_t offset, std::size_t first,
                      std::size_t length) {
  return {Kind::kWord, segment, offset, first, length};
}
sched::AudioMark segment_end(std::size_t segment, std::size_t offset) {
  return {Kind::kSegmentEnd, segment, offset};
}

// "Hello  world.\nBye now." spoken as two segments whose maps skip the double space and the
// newline, as the front end's are.
HeardTracker two_segments() {
  text::MappedText first;
  first.append_identity("Hello ", 0);
  first.append_identity("world.", 7);
  text::MappedText second = text::identity_map("Bye now.", 14);
  HeardTracker t;
  t.add_segments({first, second});
  return t;
}

TEST(HeardTracker, WordsMapIntoTheClientsText) {
  const HeardTracker t = two_segments();
  const HeardWord w = t.word(word(0, 0, 6, 5));
  EXPECT_EQ(w.text, "world");
  EXPECT_EQ(w.start, 7u);
  EXPECT_EQ(w.end, 12u);
  const HeardWord bye = t.word(word(1, 0, 0, 3));
  EXPECT_EQ(bye.text, "Bye");
  EXPECT_EQ(bye.start, 14u);
  EXPECT_EQ(t.segment_span(1).start, 14u);
  EXPECT_EQ(t.segment_span(1).end, 22u);
  EXPECT_EQ(t.segment_text(2), "");
}

TEST(HeardTracker, AWordIsHeardOnceTheAudioUpToTheNextMarkWasSent) {
  HeardTracker t = two_segments();
  t.mark({Kind::kSegmentStart, 0, 0});
  t.mark(word(0, 100, 0, 5));
  t.mark(word(0, 1000, 6, 5));
  EXPECT_FALSE(t.heard(50).word);  // nothing complete
  EXPECT_EQ(t.heard(50).source_offset, 0u);
  EXPECT_FALSE(t.heard(999).word);  // "Hello" ends at 1000
  Heard h = t.heard(1000);
  ASSERT_TRUE(h.word);
  EXPECT_EQ(h.word->text, "Hello");
  EXPECT_EQ(h.source_offset, 5u);
  EXPECT_FALSE(h.segment);
  // "world." ends with its segment: unknown until the segment's end mark came.
  EXPECT_EQ(t.heard(5000).word->text, "Hello");
  t.mark(segment_end(0, 2000));
  t.mark({Kind::kSegmentStart, 1, 2000});
  t.mark(word(1, 2000, 0, 3));
  h = t.heard(2000);
  ASSERT_TRUE(h.segment);
  EXPECT_EQ(*h.segment, 0u);
  EXPECT_EQ(h.word->text, "world");
  EXPECT_EQ(h.word->start, 7u);
  EXPECT_EQ(h.source_offset, 13u);  // the segment's end, past the word: "world." ends at 13
}

TEST(HeardTracker, WithoutWordMarksTheLastWholeSegmentCounts) {
  HeardTracker t = two_segments();
  t.mark(segment_end(0, 800));
  t.mark(segment_end(1, 1600));
  EXPECT_FALSE(t.heard(799).segment);
  EXPECT_EQ(*t.heard(800).segment, 0u);
  EXPECT_EQ(t.heard(1599).source_offset, 13u);
  EXPECT_EQ(t.heard(1600).source_offset, 22u);
  EXPECT_FALSE(t.heard(1600).word);
}

TEST(TextOptions, ParametersOverTheServersDefaults) {
  TextOptions defaults;
  defaults.cleanup.emoji = text::CleanupOptions::Emoji::kName;
  const auto params = [](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "normalize") return "false";
    if (std::string_view(name) == "read_code") return "1";
    return std::nullopt;
  };
  const TextOptions o = text_options(params, defaults);
  EXPECT_FALSE(o.normalize);
  EXPECT_EQ(o.cleanup.code, text::CleanupOptions::Code::kRead);
  EXPECT_EQ(o.cleanup.emoji, text::CleanupOptions::Emoji::kName);
  const auto bad = [](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "normalize") return "maybe";
    return std::nullopt;
  };
  try {
    (void)text_options(bad, defaults);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.param(), "normalize");
  }
}

TEST(TextOptions, RequestLexiconEntries) {
  using nlohmann::json;
  const auto entries = lexicon_field(json{{"SQL", "sequel"}, {"nginx", "engine x"}});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, "SQL");
  EXPECT_EQ(entries[0].second, "sequel");
  const auto param_of = [](const json& value) {
    try {
      (void)lexicon_field(value);
    } catch (const Error& e) {
      return std::string(e.param());
    }
    return std::string("no error");
  };
  EXPECT_EQ(param_of(json::array({"a"})), "lexicon");
  EXPECT_EQ(param_of(json{{"a", 1}}), "lexicon");
  EXPECT_EQ(param_of(json{{"", "x"}}), "lexicon");
  json many = json::object();
  for (std::size_t i = 0; i <= kMaxRequestLexicon; ++i) many["w" + std::to_string(i)] = "x";
  EXPECT_EQ(param_of(many), "lexicon");
  many.erase("w0");
  EXPECT_EQ(lexicon_field(many).size(), kMaxRequestLexicon);
}

}  // namespace
}  // namespace lector::api
