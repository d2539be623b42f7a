// PLACEHOLDER until the lexicon lands: parses nothing, replaces nothing.
#include "text/lexicon.h"

namespace lector::text {

struct Lexicon::Entries {};

Lexicon::Lexicon() : entries_(std::make_shared<const Entries>()) {}
Lexicon::~Lexicon() = default;
Lexicon::Lexicon(const Lexicon&) = default;
Lexicon& Lexicon::operator=(const Lexicon&) = default;
Lexicon::Lexicon(Lexicon&&) noexcept = default;
Lexicon& Lexicon::operator=(Lexicon&&) noexcept = default;

Lexicon Lexicon::parse(std::string_view content, std::string_view origin) {
  (void)content, (void)origin;
  return {};
}
Lexicon Lexicon::with_additions(
    const std::vector<std::pair<std::string, std::string>>& entries) const {
  (void)entries;
  return *this;
}
MappedText Lexicon::apply(const MappedText& segment, const LexiconContext& context) const {
  (void)context;
  return segment;
}
std::size_t Lexicon::size() const {
  return 0;
}

}  // namespace lector::text
