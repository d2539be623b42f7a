// PLACEHOLDER until the clean-up rules land: passes text through unchanged.
#include "text/cleanup.h"

#include "text/utf8.h"

namespace lector::text {

struct Cleaner::State {
  CleanupOptions options;
  std::uint32_t fed = 0;
};

Cleaner::Cleaner(CleanupOptions options) : state_(std::make_unique<State>()) {
  state_->options = options;
}
Cleaner::~Cleaner() = default;
Cleaner::Cleaner(Cleaner&&) noexcept = default;
Cleaner& Cleaner::operator=(Cleaner&&) noexcept = default;

MappedText Cleaner::feed(std::string_view fragment) {
  MappedText out = identity_map(fragment, state_->fed);
  state_->fed += static_cast<std::uint32_t>(out.spans.size());
  return out;
}
MappedText Cleaner::on_quiet() {
  return {};
}
MappedText Cleaner::finish() {
  state_->fed = 0;
  return {};
}
void Cleaner::reset() {
  state_->fed = 0;
}
std::size_t Cleaner::held() const {
  return 0;
}

MappedText cleanup(std::string_view text, CleanupOptions options) {
  Cleaner c(options);
  MappedText out = c.feed(text);
  out.append(c.finish());
  return out;
}

}  // namespace lector::text
