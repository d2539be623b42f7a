#include "engine/neural/kokoro_voices.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "engine/neural/npy.h"
#include "engine/neural/zip_archive.h"

namespace lector::engine::neural {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kStyleFloats = kKokoroStyleRows * kKokoroStyleDim;
// The published archive holds 54 voices in 28 MB; a file far past that is not a voices file.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1} << 30;

std::string read_file(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(ErrorCode::kUnavailable, path.string() + ": " + ec.message());
  if (size > kMaxFileBytes)
    throw Error(ErrorCode::kUnavailable, path.string() + ": too large for a voices file");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    throw Error(ErrorCode::kUnavailable, path.string() + ": cannot be read");
  return bytes;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::span<const float> KokoroVoiceData::style(std::size_t tokens) const {
  const std::size_t row = std::min(tokens, kKokoroStyleRows - 1);
  return std::span<const float>(styles).subspan(row * kKokoroStyleDim, kKokoroStyleDim);
}

std::vector<float> kokoro_styles_from_npy(std::string_view bytes, const std::string& label) {
  NpyArray array = parse_npy_float32(bytes, label);
  // (510, 1, 256) as published; (510, 256) is the same data without the batch axis.
  const bool ok = (array.shape == std::vector<std::size_t>{kKokoroStyleRows, 1, kKokoroStyleDim}) ||
                  (array.shape == std::vector<std::size_t>{kKokoroStyleRows, kKokoroStyleDim});
  if (!ok)
    throw Error(ErrorCode::kUnavailable, label + ": shape " + shape_text(array.shape) +
                                             " is not a Kokoro voice's (510, 1, 256)");
  return std::move(array.data);
}

std::vector<float> kokoro_styles_from_bin(std::string_view bytes, const std::string& label) {
  if (bytes.size() != kStyleFloats * 4)
    throw Error(ErrorCode::kUnavailable,
                label + ": " + std::to_string(bytes.size()) + " bytes, a Kokoro voice has " +
                    std::to_string(kStyleFloats * 4) + " (510 x 256 float32)");
  std::vector<float> styles(kStyleFloats);
  for (std::size_t i = 0; i < kStyleFloats; ++i) {
    std::uint32_t v = 0;
    for (std::size_t b = 0; b < 4; ++b)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
    styles[i] = std::bit_cast<float>(v);
  }
  return styles;
}

KokoroVoiceSet load_kokoro_voices(const std::string& path) {
  KokoroVoiceSet set;
  std::error_code ec;
  if (path.empty()) throw Error(ErrorCode::kUnavailable, "no voices given (--kokoro-voices)");
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.path().extension() == ".bin" && entry.is_regular_file(ec))
        files.push_back(entry.path());
    if (ec) throw Error(ErrorCode::kUnavailable, path + ": " + ec.message());
    for (const fs::path& file : files) {
      try {
        set.voices.push_back(
            {file.stem().string(), kokoro_styles_from_bin(read_file(file), file.string())});
      } catch (const Error& e) {
        set.problems.emplace_back(e.what());
      }
    }
  } else {
    if (!fs::exists(path, ec)) throw Error(ErrorCode::kUnavailable, path + ": no such file");
    const ZipArchive archive(read_file(path), path);
    for (const ZipEntry& entry : archive.entries()) {
      if (!ends_with(entry.name, ".npy")) continue;
      const std::string label = path + ": entry '" + entry.name + "'";
      try {
        // A voice's array is 522 KB; a bigger entry is not one (and is not inflated).
        if (entry.size > kStyleFloats * 4 + 4096)
          throw Error(ErrorCode::kUnavailable, label + ": too large for a Kokoro voice");
        std::string name = entry.name.substr(0, entry.name.size() - 4);
        name = name.substr(name.find_last_of('/') + 1);
        set.voices.push_back({name, kokoro_styles_from_npy(archive.extract(entry), label)});
      } catch (const Error& e) {
        set.problems.emplace_back(e.what());
      }
    }
  }
  std::sort(set.voices.begin(), set.voices.end(),
            [](const KokoroVoiceData& a, const KokoroVoiceData& b) { return a.name < b.name; });
  return set;
}

}  // namespace lector::engine::neural
