// Kept whole, past the ~450-line guideline, on purpose: the lexer and the element semantics share
// one parser state (the open-element stack decides where text goes), and splitting them would
// expose that state in a header for no other user.

#include "text/ssml.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "core/error.h"
#include "text/utf8.h"

namespace lector::text {
namespace {

// The server's parameter ranges (api/params.cpp validates the same ones for plain requests).
constexpr double kMinSpeed = 0.25, kMaxSpeed = 4.0;
constexpr double kMinPitch = 0.5, kMaxPitch = 2.0;
constexpr double kMinVolume = 0.0, kMaxVolume = 2.0;
// Products of nested prosody are kept within this before the final clamp, so that sixteen
// levels of large factors stay finite.
constexpr double kFactorBound = 1000.0;

using Attributes = std::vector<std::pair<std::string, std::string>>;

struct Frame {
  enum class Capture { kNone, kSayAs, kSub };
  std::string name;
  std::string voice;
  std::string language;
  SynthParams params;  // unclamped products
  Capture capture = Capture::kNone;
  std::string interpret_as;  // say-as
  std::string alias;         // sub
  std::string captured;      // text inside a capturing element
};

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name_start(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || u >= 0x80;
}

bool is_name_char(char c) noexcept {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool is_xml_char(char32_t c) noexcept {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A value such as "+20%", "-2st", "1.5", "500ms": an optional sign, a decimal number and a unit
// (lower-cased). nullopt when it is not of that shape.
struct Quantity {
  double value = 0;
  bool sign = false;  // written with + or -
  std::string unit;
};

std::optional<Quantity> parse_quantity(std::string_view s) {
  s = trim(s);
  Quantity q;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    q.sign = true;
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::size_t n = 0;
  while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + n, q.value);
  if (ec != std::errc() || ptr != s.data() + n || !std::isfinite(q.value)) return std::nullopt;
  if (negative) q.value = -q.value;
  q.unit = lower(trim(s.substr(n)));
  return q;
}

double bound(double v) noexcept {
  return std::clamp(v, 0.0, kFactorBound);
}

class Parser {
 public:
  Parser(std::string_view doc, const SsmlLimits& limits, const char* param)
      : doc_(doc), limits_(limits), param_(param) {}

  std::vector<SsmlPiece> run() {
    if (!is_valid_utf8(doc_)) throw bad_parameter(param_, "SSML: not valid UTF-8");
    prolog();
    content();
    // After the root: white space and comments only.
    for (;;) {
      skip_space();
      if (pos_ == doc_.size()) break;
      if (starts("<!--")) {
        comment();
        continue;
      }
      fail(pos_, "content after the </speak> root");
    }
    flush();
    return std::move(pieces_);
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at && i < doc_.size(); ++i) {
      if (doc_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    const std::size_t column =
        count_code_points(doc_.substr(line_start, std::min(at, doc_.size()) - line_start)) + 1;
    throw bad_parameter(param_, "SSML line " + std::to_string(line) + ", column " +
                                    std::to_string(column) + ": " + what);
  }

  [[noreturn]] void fail_element(const std::string& element, const std::string& what) const {
    fail(tag_at_, "<" + element + ">: " + what);
  }

  bool starts(std::string_view s) const { return doc_.substr(pos_).starts_with(s); }

  void skip_space() {
    while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  }

  void expect(std::string_view s, const char* what) {
    if (!starts(s)) fail(pos_, std::string("expected ") + what);
    pos_ += s.size();
  }

  // Skips a byte-order mark, the XML declaration, comments and white space up to the root's
  // start tag, refusing a DTD and any other processing instruction.
  void prolog() {
    if (starts("\xEF\xBB\xBF")) pos_ += 3;
    skip_space();
    if (starts("<?xml") && pos_ + 5 < doc_.size() &&
        (is_space(doc_[pos_ + 5]) || doc_[pos_ + 5] == '?')) {
      const std::size_t end = doc_.find("?>", pos_);
      if (end == std::string_view::npos) fail(pos_, "unterminated XML declaration");
      pos_ = end + 2;
    }
    for (;;) {
      skip_space();
      if (pos_ == doc_.size()) fail(pos_, "no <speak> root element");
      if (starts("<!--")) {
        comment();
      } else if (starts("<!DOCTYPE") || starts("<!doctype")) {
        fail(pos_, "a DTD (<!DOCTYPE>) is not allowed");
      } else if (starts("<?")) {
        fail(pos_, "processing instructions are not allowed");
      } else if (starts("<") && pos_ + 1 < doc_.size() && is_name_start(doc_[pos_ + 1])) {
        const std::size_t at = pos_;
        const std::size_t name_end = name_end_at(pos_ + 1);
        if (doc_.substr(pos_ + 1, name_end - pos_ - 1) != "speak")
          fail(at, "the root element must be <speak>");
        start_tag();
        return;
      } else {
        fail(pos_, "text before the <speak> root element");
      }
    }
  }

  std::size_t name_end_at(std::size_t p) const {
    while (p < doc_.size() && is_name_char(doc_[p])) ++p;
    return p;
  }

  std::string read_name() {
    if (pos_ >= doc_.size() || !is_name_start(doc_[pos_])) fail(pos_, "expected a name");
    const std::size_t end = name_end_at(pos_);
    std::string name(doc_.substr(pos_, end - pos_));
    pos_ = end;
    return name;
  }

  // The document's content up to the root's end tag.
  void content() {
    std::string text;
    while (!stack_.empty()) {
      if (pos_ >= doc_.size()) fail(pos_, "unclosed element <" + stack_.back().name + ">");
      const char c = doc_[pos_];
      if (c == '&') {
        reference(text);
        continue;
      }
      if (c != '<') {
        const std::size_t end = doc_.find_first_of("<&", pos_);
        const std::size_t stop = end == std::string_view::npos ? doc_.size() : end;
        text.append(doc_.substr(pos_, stop - pos_));
        pos_ = stop;
        continue;
      }
      if (starts("<![CDATA[")) {
        const std::size_t end = doc_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) fail(pos_, "unterminated CDATA section");
        text.append(doc_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
        continue;
      }
      if (starts("<!--")) {
        comment();
        continue;
      }
      // Markup: the text so far belongs to the element that is open now.
      emit(text);
      text.clear();
      if (starts("</")) {
        end_tag();
      } else if (starts("<!")) {
        fail(pos_, "declarations (<!DOCTYPE>, <!ENTITY>) are not allowed");
      } else if (starts("<?")) {
        fail(pos_, "processing instructions are not allowed");
      } else if (pos_ + 1 < doc_.size() && is_name_start(doc_[pos_ + 1])) {
        start_tag();
      } else {
        fail(pos_, "'<' in text must be written &lt;");
      }
    }
  }

  void comment() {
    const std::size_t end = doc_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) fail(pos_, "unterminated comment");
    pos_ = end + 3;
  }

  // At '&': appends the character it stands for.
  void reference(std::string& out) {
    const std::size_t at = pos_;
    const std::size_t semi = doc_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) fail(at, "'&' must be written &amp;");
    const std::string_view body = doc_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (body == "lt") {
      out += '<';
    } else if (body == "gt") {
      out += '>';
    } else if (body == "amp") {
      out += '&';
    } else if (body == "quot") {
      out += '"';
    } else if (body == "apos") {
      out += '\'';
    } else if (body.starts_with('#')) {
      const bool hex = body.size() > 1 && body[1] == 'x';
      const std::string_view digits = body.substr(hex ? 2 : 1);
      std::uint32_t value = 0;
      const auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
          !is_xml_char(value))
        fail(at, "bad character reference '&" + std::string(body) + ";'");
      append_utf8(out, value);
    } else {
      fail(at, "entity '&" + std::string(body) +
                   ";' is not allowed (only &lt; &gt; &amp; &quot; &apos; and character "
                   "references)");
    }
  }

  void start_tag() {
    tag_at_ = pos_;
    ++pos_;  // '<'
    std::string name = read_name();
    Attributes attributes;
    for (;;) {
      const std::size_t before = pos_;
      skip_space();
      if (pos_ >= doc_.size()) fail(tag_at_, "unterminated start tag <" + name + ">");
      if (starts("/>")) {
        pos_ += 2;
        open(name, attributes);
        close();
        return;
      }
      if (doc_[pos_] == '>') {
        ++pos_;
        open(name, attributes);
        return;
      }
      if (pos_ == before) fail(pos_, "expected white space, '>' or '/>' in <" + name + ">");
      const std::size_t attr_at = pos_;
      std::string attr = read_name();
      skip_space();
      expect("=", "'=' after an attribute name");
      skip_space();
      if (pos_ >= doc_.size() || (doc_[pos_] != '"' && doc_[pos_] != '\''))
        fail(pos_, "attribute '" + attr + "' needs a quoted value");
      const char quote = doc_[pos_++];
      std::string value;
      for (;;) {
        if (pos_ >= doc_.size()) fail(attr_at, "unterminated value of attribute '" + attr + "'");
        const char c = doc_[pos_];
        if (c == quote) break;
        if (c == '<') fail(pos_, "'<' in the value of attribute '" + attr + "'");
        if (c == '&') {
          reference(value);
        } else {
          value += c;
          ++pos_;
        }
      }
      ++pos_;
      for (const auto& [k, v] : attributes)
        if (k == attr) fail(attr_at, "attribute '" + attr + "' given twice");
      attributes.emplace_back(std::move(attr), std::move(value));
    }
  }

  void end_tag() {
    const std::size_t at = pos_;
    pos_ += 2;
    const std::string name = read_name();
    skip_space();
    expect(">", "'>' to end the end tag");
    if (name != stack_.back().name)
      fail(at, "end tag </" + name + "> does not match <" + stack_.back().name + ">");
    close();
  }

  static const std::string* attribute(const Attributes& attributes, std::string_view name) {
    for (const auto& [k, v] : attributes)
      if (k == name) return &v;
    return nullptr;
  }

  void open(const std::string& name, const Attributes& attributes) {
    if (++elements_ > limits_.max_elements)
      fail(tag_at_, "more than " + std::to_string(limits_.max_elements) + " elements");
    if (stack_.size() + 1 > limits_.max_depth)
      fail(tag_at_, "elements nested deeper than " + std::to_string(limits_.max_depth));
    Frame f;
    if (!stack_.empty()) {
      f.voice = stack_.back().voice;
      f.language = stack_.back().language;
      f.params = stack_.back().params;
    }
    f.name = name;
    if (const std::string* lang = attribute(attributes, "xml:lang")) f.language = *lang;

    if (name == "p" || name == "s") {
      flush();
    } else if (name == "break") {
      if (!capturing()) pause(break_ms(attributes));
    } else if (name == "prosody") {
      prosody(attributes, f.params);
    } else if (name == "voice") {
      if (const std::string* v = attribute(attributes, "name"); v && !trim(*v).empty())
        f.voice = std::string(trim(*v));
    } else if (name == "emphasis") {
      emphasis(attributes, f.params);
    } else if (name == "say-as") {
      if (const std::string* kind = attribute(attributes, "interpret-as")) {
        f.capture = Frame::Capture::kSayAs;
        f.interpret_as = lower(trim(*kind));
      }
    } else if (name == "sub") {
      if (const std::string* alias = attribute(attributes, "alias")) {
        f.capture = Frame::Capture::kSub;
        f.alias = *alias;
      }
    }
    // speak, lang, audio, mark and unknown elements: nothing beyond xml:lang.
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.name == "p" || f.name == "s") flush();
    if (f.capture == Frame::Capture::kSayAs) emit(say_as(f.interpret_as, f.captured));
    if (f.capture == Frame::Capture::kSub) emit(f.alias);
  }

  bool capturing() const {
    return std::any_of(stack_.begin(), stack_.end(),
                       [](const Frame& f) { return f.capture != Frame::Capture::kNone; });
  }

  // Text at the current place: into the innermost say-as or sub, else into the current piece,
  // which starts anew when the voice, language or prosody changed.
  void emit(std::string_view text) {
    if (text.empty() || stack_.empty()) return;
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (it->capture != Frame::Capture::kNone) {
        it->captured.append(text);
        return;
      }
    }
    const Frame& top = stack_.back();
    const bool same = current_.voice == top.voice && current_.language == top.language &&
                      current_.params == clamped(top.params);
    if (!same) {
      // White space between elements separates words; it starts no piece of its own.
      if (trim(text).empty()) {
        current_.text.append(text);
        return;
      }
      flush();
      current_.voice = top.voice;
      current_.language = top.language;
      current_.params = clamped(top.params);
    }
    current_.text.append(text);
  }

  void flush() {
    std::string t = normalize(current_.text);
    current_.text.clear();
    if (t.empty()) return;
    SsmlPiece piece = current_;
    piece.text = std::move(t);
    pieces_.push_back(std::move(piece));
  }

  void pause(int ms) {
    flush();
    if (ms <= 0) return;  // strength="none": a boundary only
    total_pause_ms_ += ms;
    if (total_pause_ms_ > limits_.max_total_pause_ms)
      fail_element("break", "the pauses add up to more than " +
                                std::to_string(limits_.max_total_pause_ms / 1000) + " s");
    if (!pieces_.empty() && pieces_.back().is_pause()) {
      pieces_.back().break_ms += ms;
      return;
    }
    SsmlPiece p;
    p.break_ms = ms;
    pieces_.push_back(std::move(p));
  }

  int break_ms(const Attributes& attributes) const {
    if (const std::string* time = attribute(attributes, "time")) {
      const std::optional<Quantity> q = parse_quantity(*time);
      double ms = 0;
      if (q && !q->sign && q->unit == "ms") {
        ms = q->value;
      } else if (q && !q->sign && q->unit == "s") {
        ms = q->value * 1000;
      } else {
        fail_element("break", "time '" + *time + "' is not a duration such as 500ms or 2s");
      }
      if (ms > limits_.max_break_ms)
        fail_element("break", "time '" + *time + "' is over the cap of " +
                                  std::to_string(limits_.max_break_ms / 1000) + " s");
      return static_cast<int>(std::lround(ms));
    }
    const std::string* strength = attribute(attributes, "strength");
    const std::string s = strength ? lower(trim(*strength)) : "medium";
    static constexpr std::pair<std::string_view, int> kStrengths[] = {
        {"none", 0},     {"x-weak", 100},  {"weak", 250},
        {"medium", 500}, {"strong", 1000}, {"x-strong", 2000}};
    for (const auto& [name, ms] : kStrengths)
      if (s == name) return std::min(ms, limits_.max_break_ms);
    fail_element("break", "strength '" + *strength +
                              "' is not one of none, x-weak, weak, medium, strong, x-strong");
  }

  using Keywords = std::initializer_list<std::pair<std::string_view, double>>;

  // One prosody attribute as a factor: a keyword, a relative or absolute percentage, and the
  // units `extra` accepts (semitones for pitch, decibels for volume, a bare number for rate).
  double factor(const std::string& attr, const std::string& value, Keywords keywords,
                std::string_view extra, const char* accepted) const {
    const std::string v = lower(trim(value));
    if (v == "default" || v == "medium") return 1.0;
    for (const auto& [name, f] : keywords)
      if (v == name) return f;
    const std::optional<Quantity> q = parse_quantity(v);
    std::optional<double> f;
    if (q && q->unit == "%") {
      f = q->sign ? 1.0 + q->value / 100.0 : q->value / 100.0;
    } else if (q && q->unit == "st" && extra == "st") {
      f = std::pow(2.0, q->value / 12.0);
    } else if (q && q->unit == "db" && extra == "db") {
      f = std::pow(10.0, q->value / 20.0);
    } else if (q && q->unit.empty() && !q->sign && extra == "number") {
      f = q->value;
    }
    if (!f || *f < 0 || !std::isfinite(*f))
      fail_element("prosody", attr + " '" + value + "' is not understood; use " + accepted);
    return *f;
  }

  void prosody(const Attributes& attributes, SynthParams& params) const {
    if (const std::string* v = attribute(attributes, "rate")) {
      const double f =
          factor("rate", *v, {{"x-slow", 0.5}, {"slow", 0.75}, {"fast", 1.5}, {"x-fast", 2.0}},
                 "number", "x-slow, slow, medium, fast, x-fast, 150%, +20% or 1.5");
      if (f <= 0) fail_element("prosody", "rate '" + *v + "' must be above 0");
      params.speed = bound(params.speed * f);
    }
    if (const std::string* v = attribute(attributes, "pitch")) {
      const double f =
          factor("pitch", *v, {{"x-low", 0.7}, {"low", 0.85}, {"high", 1.15}, {"x-high", 1.3}},
                 "st", "x-low, low, medium, high, x-high, +10%, -10% or -2st");
      params.pitch = bound(params.pitch * f);
    }
    if (const std::string* v = attribute(attributes, "volume")) {
      const double f =
          factor("volume", *v,
                 {{"silent", 0.0}, {"x-soft", 0.25}, {"soft", 0.5}, {"loud", 1.5}, {"x-loud", 2.0}},
                 "db", "silent, x-soft, soft, medium, loud, x-loud, +6dB, -3dB or 50%");
      params.volume = bound(params.volume * f);
    }
  }

  void emphasis(const Attributes& attributes, SynthParams& params) const {
    const std::string* level = attribute(attributes, "level");
    const std::string l = level ? lower(trim(*level)) : "moderate";
    // Engines have no stress control over a phrase: slower, louder and a little higher.
    double speed = 1, pitch = 1, volume = 1;
    if (l == "strong") {
      speed = 0.85, pitch = 1.1, volume = 1.3;
    } else if (l == "moderate") {
      speed = 0.92, pitch = 1.05, volume = 1.15;
    } else if (l == "reduced") {
      speed = 1.1, pitch = 0.95, volume = 0.8;
    } else if (l != "none") {
      fail_element("emphasis", "level '" + *level +
                                   "' is not one of strong, moderate, reduced, "
                                   "none");
    }
    params.speed = bound(params.speed * speed);
    params.pitch = bound(params.pitch * pitch);
    params.volume = bound(params.volume * volume);
  }

  static std::string say_as(const std::string& kind, const std::string& text) {
    if (kind == "characters" || kind == "spell-out" || kind == "letters" || kind == "verbatim") {
      // Letters separated by spaces: every engine reads a lone letter by its name.
      std::string out;
      std::size_t p = 0;
      while (p < text.size()) {
        const std::size_t start = p;
        const char32_t c = decode_next(text, p);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (!out.empty()) out += ' ';
        out.append(text, start, p - start);
      }
      return out;
    }
    if (kind == "digits") {
      std::string out;
      for (const char c : text) {
        if (c >= '0' && c <= '9') {
          if (!out.empty() && out.back() != ' ') out += ' ';
          out += c;
          out += ' ';
        } else {
          out += c;
        }
      }
      return out;
    }
    // cardinal, number, ordinal, date, time, telephone, ... and unknown kinds: the engines'
    // own text rules read these.
    return text;
  }

  static SynthParams clamped(const SynthParams& p) noexcept {
    return SynthParams{std::clamp(p.speed, kMinSpeed, kMaxSpeed),
                       std::clamp(p.pitch, kMinPitch, kMaxPitch),
                       std::clamp(p.volume, kMinVolume, kMaxVolume)};
  }

  std::string_view doc_;
  const SsmlLimits& limits_;
  const char* param_;
  std::size_t pos_ = 0;
  std::size_t tag_at_ = 0;  // where the start tag being handled begins
  std::size_t elements_ = 0;
  int total_pause_ms_ = 0;
  std::vector<Frame> stack_;
  SsmlPiece current_;
  std::vector<SsmlPiece> pieces_;
};

}  // namespace

std::vector<SsmlPiece> parse_ssml(std::string_view document, const SsmlLimits& limits,
                                  const char* param) {
  return Parser(document, limits, param).run();
}

bool looks_like_ssml(std::string_view text) noexcept {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  text = trim(text);
  if (text.starts_with("<?xml") || text.starts_with("<!DOCTYPE")) return true;
  if (!text.starts_with("<speak")) return false;
  if (text.size() == 6) return false;
  const char c = text[6];
  return is_space(c) || c == '>' || c == '/';
}

}  // namespace lector::text
