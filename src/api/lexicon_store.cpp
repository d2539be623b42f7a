#include "api/lexicon_store.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "obs/log.h"

namespace lector::api {

LexiconStore::LexiconStore(std::string path)
    : path_(std::move(path)), lexicon_(std::make_shared<const text::Lexicon>(load(path_))) {}

text::Lexicon LexiconStore::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(
        ErrorCode::kBadParameter,
        path + ": cannot read: " + std::error_code(errno, std::generic_category()).message());
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kBadParameter, path + ": read error");
  return text::Lexicon::parse(content.str(), path);
}

std::shared_ptr<const text::Lexicon> LexiconStore::current() const {
  std::lock_guard lock(mu_);
  return lexicon_;
}

bool LexiconStore::reload() noexcept {
  try {
    auto next = std::make_shared<const text::Lexicon>(load(path_));
    const std::size_t entries = next->size();
    {
      std::lock_guard lock(mu_);
      lexicon_ = std::move(next);
      ++generation_;
    }
    obs::log_info("lexicon reloaded from {}: {} entries", path_, entries);
    return true;
  } catch (const std::exception& e) {
    obs::log_warn("lexicon not reloaded, the previous one stays in use: {}", e.what());
    return false;
  }
}

std::uint64_t LexiconStore::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace lector::api
