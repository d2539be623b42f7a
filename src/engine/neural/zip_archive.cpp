#include "engine/neural/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "core/error.h"

namespace lector::engine::neural {
namespace {

constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
constexpr std::size_t kZip64LocatorSize = 20;

std::uint16_t u16(const std::string& b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    static_cast<unsigned char>(b[at + 1]) << 8);
}

std::uint32_t u32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(u16(b, at)) | static_cast<std::uint32_t>(u16(b, at + 2)) << 16;
}

}  // namespace

void ZipArchive::fail(const std::string& what) const {
  throw Error(ErrorCode::kUnavailable, label_ + ": " + what);
}

ZipArchive::ZipArchive(std::string bytes, std::string label)
    : bytes_(std::move(bytes)), label_(std::move(label)) {
  // The end record is the last thing in the file, followed only by a comment of at most
  // 65535 bytes: search backwards for its signature.
  if (bytes_.size() < kEndSize) fail("not a zip archive (too short)");
  std::size_t end = std::string::npos;
  const std::size_t lowest =
      bytes_.size() > kEndSize + 0xFFFF ? bytes_.size() - kEndSize - 0xFFFF : 0;
  for (std::size_t at = bytes_.size() - kEndSize + 1; at-- > lowest;) {
    if (u32(bytes_, at) == kEndSignature && at + kEndSize + u16(bytes_, at + 20) == bytes_.size()) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) fail("not a zip archive (no end of central directory)");
  if (end >= kZip64LocatorSize && u32(bytes_, end - kZip64LocatorSize) == kZip64LocatorSignature)
    fail("ZIP64 archives are not supported");
  const std::uint16_t disk = u16(bytes_, end + 4);
  const std::uint16_t count = u16(bytes_, end + 10);
  const std::uint32_t directory_size = u32(bytes_, end + 12);
  const std::uint32_t directory = u32(bytes_, end + 16);
  if (count == 0xFFFF || directory_size == 0xFFFFFFFF || directory == 0xFFFFFFFF)
    fail("ZIP64 archives are not supported");
  if (disk != 0 || u16(bytes_, end + 6) != 0 || u16(bytes_, end + 8) != count)
    fail("multi-part zip archives are not supported");
  if (std::uint64_t{directory} + directory_size > end)
    fail("truncated or corrupt (central directory past its end record)");

  std::size_t at = directory;
  for (std::uint16_t i = 0; i < count; ++i) {
    if (at + kCentralSize > end || u32(bytes_, at) != kCentralSignature)
      fail("corrupt central directory (entry " + std::to_string(i) + ")");
    ZipEntry entry;
    const std::uint16_t flags = u16(bytes_, at + 8);
    entry.method = u16(bytes_, at + 10);
    entry.crc32 = u32(bytes_, at + 16);
    const std::uint32_t compressed = u32(bytes_, at + 20);
    const std::uint32_t size = u32(bytes_, at + 24);
    const std::size_t name_length = u16(bytes_, at + 28);
    const std::size_t extra_length = u16(bytes_, at + 30);
    const std::size_t comment_length = u16(bytes_, at + 32);
    const std::uint32_t local = u32(bytes_, at + 42);
    if (at + kCentralSize + name_length + extra_length + comment_length > end)
      fail("corrupt central directory (entry " + std::to_string(i) + ")");
    entry.name = bytes_.substr(at + kCentralSize, name_length);
    const std::string where = "entry '" + entry.name + "': ";
    if (flags & 0x1) fail(where + "encrypted entries are not supported");
    if (compressed == 0xFFFFFFFF || size == 0xFFFFFFFF || local == 0xFFFFFFFF)
      fail(where + "ZIP64 entries are not supported");
    if (entry.method != 0 && entry.method != 8)
      fail(where + "compression method " + std::to_string(entry.method) +
           " is not supported (only stored and deflated)");
    entry.compressed_size = compressed;
    entry.size = size;
    entry.local_header = local;
    entries_.push_back(std::move(entry));
    at += kCentralSize + name_length + extra_length + comment_length;
  }
}

std::string ZipArchive::extract(const ZipEntry& entry) const {
  const std::string where = "entry '" + entry.name + "': ";
  const std::uint64_t local = entry.local_header;
  if (local + kLocalSize > bytes_.size() || u32(bytes_, local) != kLocalSignature)
    fail(where + "corrupt local header");
  const std::uint64_t data = local + kLocalSize + u16(bytes_, local + 26) + u16(bytes_, local + 28);
  if (data + entry.compressed_size > bytes_.size()) fail(where + "truncated");
  const char* in = bytes_.data() + data;

  std::string out;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.size) fail(where + "stored sizes disagree");
    out.assign(in, entry.size);
  } else {
    out.resize(entry.size);
    z_stream z{};
    // Negative window bits: raw deflate data, as zip stores it (no zlib header).
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail(where + "zlib failed to initialise");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z.avail_in = static_cast<uInt>(entry.compressed_size);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_FINISH);
    const std::uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END || produced != entry.size) fail(where + "corrupt deflate data");
  }
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  if (crc != entry.crc32) fail(where + "CRC-32 mismatch (corrupt archive)");
  return out;
}

}  // namespace lector::engine::neural
