#include "engine/neural/kokoro_tokens.h"

#include <unicode/utf8.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace lector::engine::neural {
namespace {

// A code point of a clause: its id (-1 when the vocabulary has none) and whether it is the
// space a long clause may be cut at.
struct Unit {
  std::int64_t id;
  bool space;
};
using Units = std::vector<Unit>;

bool is_clause_mark(char32_t c) {
  return c == U',' || c == U';' || c == U':' || c == U'.' || c == U'!' || c == U'?';
}

std::vector<std::int64_t> ids_of(const Units& units, std::size_t from, std::size_t to) {
  std::vector<std::int64_t> ids;
  for (std::size_t i = from; i < to; ++i)
    if (units[i].id >= 0) ids.push_back(units[i].id);
  return ids;
}

// Cuts one clause longer than `max` ids: whole runs go to `runs`, the rest is returned.
std::vector<std::int64_t> cut_long_clause(const Units& clause, std::size_t max,
                                          std::vector<std::vector<std::int64_t>>& runs) {
  std::size_t from = 0;
  for (;;) {
    std::size_t cut = std::string::npos;  // a space after at most `max` ids
    std::size_t hard = clause.size();     // where `max` ids end
    std::size_t n = 0;
    bool over = false;
    for (std::size_t i = from; i < clause.size(); ++i) {
      if (clause[i].space && n > 0) cut = i;
      if (clause[i].id < 0) continue;
      if (n == max) {
        hard = i;
        over = true;
        break;
      }
      ++n;
    }
    if (!over) return ids_of(clause, from, clause.size());
    if (cut != std::string::npos) {
      runs.push_back(ids_of(clause, from, cut));
      from = cut + 1;  // the space at the cut is dropped
    } else {
      runs.push_back(ids_of(clause, from, hard));
      from = hard;
    }
  }
}

}  // namespace

KokoroVocab KokoroVocab::parse(std::string_view json, const std::string& label) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kUnavailable, label + ": not JSON (" + e.what() + ")");
  }
  if (!config.is_object() || !config.contains("vocab") || !config["vocab"].is_object())
    throw Error(ErrorCode::kUnavailable, label + ": no \"vocab\" object");
  KokoroVocab vocab;
  for (const auto& [key, value] : config["vocab"].items()) {
    // Kokoro's phonemes are single code points; a longer key could never match one.
    std::int32_t at = 0;
    UChar32 c = 0;
    U8_NEXT(key.data(), at, static_cast<std::int32_t>(key.size()), c);
    if (c < 0 || static_cast<std::size_t>(at) != key.size() || !value.is_number_integer()) continue;
    const auto id = value.get<std::int64_t>();
    if (id < 0) continue;
    vocab.ids_[static_cast<char32_t>(c)] = id;
  }
  if (vocab.ids_.empty())
    throw Error(ErrorCode::kUnavailable, label + ": \"vocab\" has no phoneme with an id");
  return vocab;
}

KokoroVocab KokoroVocab::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kUnavailable, path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

std::int64_t KokoroVocab::id(char32_t phoneme) const {
  const auto it = ids_.find(phoneme);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::vector<std::int64_t>> kokoro_runs(const KokoroVocab& vocab,
                                                   std::u32string_view phonemes,
                                                   std::size_t max_tokens) {
  // Clauses and the separators before them (the space after the previous clause's mark).
  std::vector<Units> clauses(1);
  std::vector<Units> separators(1);
  for (std::size_t i = 0; i < phonemes.size(); ++i) {
    const char32_t c = phonemes[i];
    clauses.back().push_back({vocab.id(c), c == U' '});
    const bool ends = is_clause_mark(c) && (i + 1 == phonemes.size() || phonemes[i + 1] == U' ');
    if (ends && i + 1 < phonemes.size()) {
      ++i;
      separators.push_back({{vocab.id(U' '), true}});
      clauses.emplace_back();
    }
  }

  std::vector<std::vector<std::int64_t>> runs;
  std::vector<std::int64_t> current;
  for (std::size_t k = 0; k < clauses.size(); ++k) {
    const Units& clause = clauses[k];
    const std::vector<std::int64_t> ids = ids_of(clause, 0, clause.size());
    const std::vector<std::int64_t> separator = ids_of(separators[k], 0, separators[k].size());
    if (!current.empty() && current.size() + separator.size() + ids.size() <= max_tokens) {
      current.insert(current.end(), separator.begin(), separator.end());
      current.insert(current.end(), ids.begin(), ids.end());
      continue;
    }
    if (!current.empty()) runs.push_back(std::move(current));
    current = ids.size() <= max_tokens ? ids : cut_long_clause(clause, max_tokens, runs);
  }
  if (!current.empty()) runs.push_back(std::move(current));
  std::erase_if(runs, [](const std::vector<std::int64_t>& run) { return run.empty(); });
  return runs;
}

}  // namespace lector::engine::neural
