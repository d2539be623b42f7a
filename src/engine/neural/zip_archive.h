#pragma once
// A reader of ZIP archives held in memory, enough for NumPy's .npz files (the Kokoro voices
// archive is one): the central directory, entries stored or deflated (zlib), CRC-32 checked.
// ZIP64 archives (an entry or the archive past 4 GiB) and encrypted entries are refused.
//
// NumPy's savez writes every local header with ZIP64 sizes (0xFFFFFFFF plus an extra field)
// even for small entries, so sizes and methods are taken from the central directory, and a
// local header only tells where the entry's data starts.
//
// Errors are lector::Error(kUnavailable) whose message starts with the archive's label (its
// file name) and, for an entry, names the entry. Immutable after construction: any thread may
// read it.

#include <cstdint>
#include <string>
#include <vector>

namespace lector::engine::neural {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflated
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_header = 0;  // offset of the entry's local header
};

class ZipArchive {
 public:
  // Reads the central directory of `bytes` (the whole file). `label` names it in errors.
  ZipArchive(std::string bytes, std::string label);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::string& label() const { return label_; }

  // The entry's contents, inflated and checked against its CRC-32.
  std::string extract(const ZipEntry& entry) const;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  std::string bytes_;
  std::string label_;
  std::vector<ZipEntry> entries_;
};

}  // namespace lector::engine::neural
