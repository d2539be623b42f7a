// The clean-up of LLM text (src/text/cleanup.h) as a listener would hear it: a table of markdown
// in and spoken text out, every split of each input giving the same result as the whole, and
// spans that point at the words as the client wrote them.

#include "text/cleanup.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "text/utf8.h"

namespace lector::text {
namespace {

struct Case {
  std::string_view in;
  std::string_view out;
};

// White space collapsed, as the segmenter reads the clean text.
std::string collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (const char c : s) {
    if (c == ' ' || c == '\n' || c == '\t') {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

const Case kCases[] = {
    {"plain text stays.", "plain text stays."},
    {"some **bold** and *italic* and __strong__ and _em_ and ~~gone~~ words",
     "some bold and italic and strong and em and gone words"},
    {"***both*** at once", "both at once"},
    {"snake_case_name stays a word", "snake case name stays a word"},
    {"2*3 is six, a * b too", "2*3 is six, a b too"},
    {"# Title\nText follows", "Title. Text follows"},
    {"## Done!\nNext", "Done! Next"},
    {"#hashtag here", "hashtag here"},
    {"Steps:\n- one\n- two\n* three\n+ four", "Steps: one. two. three. four."},
    {"1. first\n2) second\n10. tenth", "first. second. tenth."},
    {"- [ ] open task\n- [x] done task", "open task. done task."},
    {"> quoted words\n> > deeper", "quoted words deeper"},
    {"see [the docs](https://example.com/a/b?x=1) now", "see the docs now"},
    {"an ![image of a cat](cat.png) here", "an image of a cat here"},
    {"go to <https://www.example.com/path> today", "go to example dot com today"},
    {"visit https://www.example.com/a/b?x=1.", "visit example dot com."},
    {"or http://user@sub.example.org:8080/x, fine", "or sub dot example dot org, fine"},
    {"mail bob@example.org or <alice.b@mail.example.net>",
     "mail bob at example dot org or alice dot b at mail dot example dot net"},
    {"write to mailto:joe@example.com", "write to joe at example dot com"},
    {"run `rm -rf /` carefully", "run carefully"},
    {"before\n```python\nprint('hi')\nx = 1\n```\nafter", "before. after"},
    {"before:\n~~~\ncode here\n~~~\nafter", "before: after"},
    {"| Name | Age |\n|------|-----|\n| Ann | 31 |\n| Bob | 42 |", "Name, Age. Ann, 31. Bob, 42."},
    {"Wow!!! Really??? Well...", "Wow! Really? Well."},
    {"above\n----\nbelow", "above. below"},
    {"Title\n=====\nbody", "Title. body"},
    {"***\nrule above", "rule above"},
    {"line<br>break and <b>bold</b> tag", "line break and bold tag"},
    {"a < b and c > d", "a < b and c > d"},
    {"\u250C\u2500\u2500\u2510 box \u2502 drawn \u2502", "box drawn"},
    {"Great job \U0001F389 and \U0001F44D\U0001F3FD ok \u2764\uFE0F", "Great job and ok"},
    {"escaped \\*stars\\* stay", "escaped *stars* stay"},
    {"it`s a stray backtick", "its a stray backtick"},
    {"para one\n\npara two", "para one. para two"},
    {"Hello\r\nworld", "Hello world"},
    {"a -- b --- c", "a b c"},
    {"**Note:** this", "Note: this"},
    {"[1] cited", "1 cited"},
};

TEST(Cleanup, Table) {
  for (const Case& c : kCases) {
    EXPECT_EQ(collapse(cleanup(c.in).text), c.out) << "input: " << c.in;
  }
}

TEST(Cleanup, EmojiNamed) {
  CleanupOptions options;
  options.emoji = CleanupOptions::Emoji::kName;
  EXPECT_EQ(collapse(cleanup("Great job\U0001F389 and \U0001F44D\U0001F3FD!", options).text),
            "Great job party popper and thumbs up sign!");
}

TEST(Cleanup, CodeRead) {
  CleanupOptions options;
  options.code = CleanupOptions::Code::kRead;
  EXPECT_EQ(collapse(cleanup("run `make test` now\n```\nmake all\n```\nend", options).text),
            "run make test now. make all. end");
}

TEST(Cleanup, AddressWordsFollowTheLanguage) {
  CleanupOptions options;
  options.language = "de-DE";
  EXPECT_EQ(collapse(cleanup("an info@beispiel.de schreiben", options).text),
            "an info at beispiel Punkt de schreiben");
  options.language = "es";
  EXPECT_EQ(collapse(cleanup("ver www.ejemplo.es/x", options).text), "ver ejemplo punto es");
}

// Code point index -> byte offset, to cut the source where a span points.
std::string source_at(std::string_view source, SourceSpan span) {
  return std::string(utf8_substr(source, span.start, span.end - span.start));
}

void expect_well_mapped(std::string_view source, const MappedText& m) {
  ASSERT_EQ(count_code_points(m.text), m.spans.size()) << source;
  const std::size_t n = count_code_points(source);
  for (const SourceSpan& s : m.spans) {
    EXPECT_LE(s.start, s.end);
    EXPECT_LE(s.end, n) << source;
  }
}

// Every split into two pieces, and code point by code point, gives the whole text's result.
TEST(Cleanup, AnySplitGivesTheSameText) {
  const CleanupOptions named{CleanupOptions::Code::kRead, CleanupOptions::Emoji::kName, "en"};
  for (const CleanupOptions& options : {CleanupOptions{}, named}) {
    for (const Case& c : kCases) {
      const MappedText whole = cleanup(c.in, options);
      expect_well_mapped(c.in, whole);
      const std::string text(c.in);
      for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        if (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) continue;
        Cleaner cleaner(options);
        MappedText split = cleaner.feed(std::string_view(text).substr(0, cut));
        split.append(cleaner.feed(std::string_view(text).substr(cut)));
        split.append(cleaner.finish());
        ASSERT_EQ(split.text, whole.text) << "input: " << c.in << " cut at " << cut;
        ASSERT_EQ(split.spans, whole.spans) << "input: " << c.in << " cut at " << cut;
      }
      Cleaner cleaner(options);
      MappedText drip;
      for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t len = decode_at(text, pos).length;
        drip.append(cleaner.feed(std::string_view(text).substr(pos, len)));
        EXPECT_LE(cleaner.held(), 32u + 256u + 512u);
        pos += len;
      }
      drip.append(cleaner.finish());
      EXPECT_EQ(drip.text, whole.text) << c.in;
    }
  }
}

// The letters and digits of `s`: what must survive of a word between its source and its reading
// (markup and escapes inside a word are dropped).
std::string letters(std::string_view s) {
  std::string out;
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80 || std::isalnum(static_cast<unsigned char>(c)))
      out.push_back(c);
  return out;
}

// Each output word that is copied from the source is found where its span points.
TEST(Cleanup, SpansPointAtTheWordsAsWritten) {
  for (const Case& c : kCases) {
    const MappedText m = cleanup(c.in);
    std::size_t cp = 0;
    std::string word;
    std::size_t word_first = 0;
    const auto check = [&] {
      if (word.empty()) return;
      SourceSpan span{~0u, 0};
      for (std::size_t i = word_first; i < cp; ++i) {
        span.start = std::min(span.start, m.spans[i].start);
        span.end = std::max(span.end, m.spans[i].end);
      }
      const std::string source = source_at(c.in, span);
      // Inserted words ("dot", a sentence end) stand for what they replace; copied words appear.
      if (word != "dot" && word != "at" && word != "." && word != ",") {
        EXPECT_NE(letters(source).find(letters(word)), std::string::npos)
            << "word '" << word << "' maps to '" << source << "' in: " << c.in;
      }
      word.clear();
    };
    for (std::size_t pos = 0; pos < m.text.size();) {
      const DecodedChar d = decode_at(m.text, pos);
      if (d.value == U' ' || d.value == U'\n') {
        check();
      } else {
        if (word.empty()) word_first = cp;
        word.append(m.text, pos, d.length);
      }
      pos += d.length;
      ++cp;
    }
    check();
  }
}

// A quiet producer gets what is held back; the rest of the text continues the same source.
TEST(Cleanup, OnQuietReleasesTheHeldToken) {
  Cleaner cleaner;
  EXPECT_EQ(cleaner.feed("Hello **wor").text, "Hello");
  EXPECT_GT(cleaner.held(), 0u);
  const MappedText released = cleaner.on_quiet();
  EXPECT_EQ(released.text, " wor");
  EXPECT_EQ(cleaner.held(), 0u);
  MappedText rest = cleaner.feed("ld** again\n- item");
  rest.append(cleaner.finish());
  EXPECT_EQ(collapse(rest.text), "ld again item.");
  ASSERT_FALSE(rest.spans.empty());
  EXPECT_EQ(rest.spans.front(), (SourceSpan{11, 12}));  // "l" of "world", counted from the start
  // finish() started a new source: spans count from 0 again.
  const MappedText next = cleaner.feed("new ");
  ASSERT_FALSE(next.spans.empty());
  EXPECT_EQ(next.spans.front(), (SourceSpan{0, 1}));
}

// A long line without white space is read in bounded pieces, not held whole.
TEST(Cleanup, HoldBackIsBounded) {
  Cleaner cleaner;
  std::size_t returned = 0;
  for (int i = 0; i < 5000; ++i) {
    returned += cleaner.feed("a").spans.size();
    ASSERT_LE(cleaner.held(), 32u + 256u + 512u);
  }
  EXPECT_GE(returned, 5000u - 256u);
  Cleaner code;
  code.feed("`");
  for (int i = 0; i < 2000; ++i) ASSERT_LE((code.feed("b "), code.held()), 32u + 256u + 512u + 1);
}

TEST(Cleanup, InsertedTextCarriesTheSpanOfWhatItReplaces) {
  const std::string_view source = "see www.example.com now";
  const MappedText m = cleanup(source);
  EXPECT_EQ(collapse(m.text), "see example dot com now");
  const std::size_t dot = m.text.find("dot");
  ASSERT_NE(dot, std::string::npos);
  EXPECT_EQ(source_at(source, m.spans[count_code_points(m.text.substr(0, dot))]), ".");
}

constexpr std::string_view kLlmAnswer =
    "## Getting started with **Lector** \U0001F680\n"
    "\n"
    "Here's a quick overview of the _key_ steps:\n"
    "\n"
    "1. **Install** the package (see [the guide](https://docs.example.com/install?v=2)).\n"
    "2. Run the server with `lector serve --port 8000`.\n"
    "3. Open the page \u2014 that's it! \u2705\n"
    "\n"
    "### Example\n"
    "\n"
    "```bash\n"
    "curl -s http://localhost:8000/tts?text=hello > out.wav\n"
    "```\n"
    "\n"
    "| Engine | Voices | Notes |\n"
    "|--------|:------:|-------|\n"
    "| espeak | 100+ | *fast* |\n"
    "| flite | 13 | clear |\n"
    "\n"
    "> **Tip:** questions go to support@example.com or https://example.com/help.\n"
    "\n"
    "---\n"
    "Happy listening! \U0001F3A7\n";

TEST(Cleanup, MarkdownHeavyLlmAnswerReadsNaturally) {
  const MappedText m = cleanup(kLlmAnswer);
  const std::string text = collapse(m.text);
  for (const std::string_view bad : {"*", "#", "_", "`", "|", "http", "[", "]", "--"})
    EXPECT_EQ(text.find(bad), std::string::npos) << "'" << bad << "' in: " << text;
  EXPECT_EQ(text,
            "Getting started with Lector. Here's a quick overview of the key steps: Install the "
            "package (see the guide). Run the server with. Open the page \u2014 that's it! "
            "Example. Engine, Voices, Notes. espeak, 100+, fast. flite, 13, clear. Tip: "
            "questions go to support at example dot com or example dot com. Happy listening!");
}

// Not a speed assertion: the figure goes to the log for the report (DESIGN: timings in bench/).
TEST(Cleanup, TenKilobyteAnswerCost) {
  std::string big;
  while (big.size() < 10 * 1024) big += kLlmAnswer;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRuns = 20;
  std::size_t out = 0;
  for (int i = 0; i < kRuns; ++i) out += cleanup(big).text.size();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf("cleanup of %zu bytes: %.1f us per run\n", big.size(),
              static_cast<double>(us) / kRuns);
  EXPECT_GT(out, 0u);
}

}  // namespace
}  // namespace lector::text
