#pragma once
// Kokoro's voices: per voice, 510 style vectors of 256 floats, row k for a run of k tokens.
// Read from the published archive (a NumPy .npz whose entries NAME.npy are float32 arrays of
// shape (510, 1, 256), stored or deflated: `voices-v1.0.bin` of the kokoro-onnx releases) or
// from a folder of NAME.bin files (510*256 little-endian float32, no header, as the kokoro-js
// npm package ships them). Immutable once loaded: any thread may read it.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace lector::engine::neural {

constexpr std::size_t kKokoroStyleRows = 510;
constexpr std::size_t kKokoroStyleDim = 256;

struct KokoroVoiceData {
  std::string name;           // the entry's or file's name without .npy/.bin, e.g. "af_heart"
  std::vector<float> styles;  // kKokoroStyleRows * kKokoroStyleDim, row-major

  // The style vector for a run of `tokens` tokens (padding not counted); past the last row,
  // the last row.
  std::span<const float> style(std::size_t tokens) const;
};

struct KokoroVoiceSet {
  std::vector<KokoroVoiceData> voices;  // sorted by name
  // Entries or files that were skipped, each naming the file (and entry) and saying why.
  std::vector<std::string> problems;
};

// `path`: a .npz archive, or a folder of .bin files. Throws lector::Error(kUnavailable) naming
// the path when it cannot be read as either (missing, not a zip, ZIP64, truncated); a bad
// entry or file only skips that voice (see problems).
KokoroVoiceSet load_kokoro_voices(const std::string& path);

// The styles of one voice from a .npy array's bytes or a .bin file's bytes; throws
// lector::Error(kUnavailable) starting with `label` when the shape, dtype or size is wrong.
std::vector<float> kokoro_styles_from_npy(std::string_view bytes, const std::string& label);
std::vector<float> kokoro_styles_from_bin(std::string_view bytes, const std::string& label);

}  // namespace lector::engine::neural
