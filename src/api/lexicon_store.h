#pragma once
// The server's pronunciation lexicon (--lexicon FILE): loaded at start, re-read on SIGHUP.
// A reload that fails (the file unreadable, a bad entry) keeps the lexicon in use and says why
// in the log. Requests take the current lexicon as a shared_ptr to an immutable Lexicon, so a
// reload never changes the text of a request already running.
//
// Threading: every method from any thread; the pointer is swapped under a mutex held only for
// the copy of the pointer.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "text/lexicon.h"

namespace lector::api {

class LexiconStore {
 public:
  // Reads `path`; throws lector::Error naming the file (and the line of a bad entry).
  explicit LexiconStore(std::string path);

  std::shared_ptr<const text::Lexicon> current() const;
  // Re-reads the file: true when the new lexicon is in use, false (logged) when the old one
  // stays.
  bool reload() noexcept;
  const std::string& path() const { return path_; }
  // Lexicons put in use by reload() so far: part of the cache key of a held body.
  std::uint64_t generation() const;

 private:
  static text::Lexicon load(const std::string& path);

  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const text::Lexicon> lexicon_;
  std::uint64_t generation_ = 0;
};

}  // namespace lector::api
