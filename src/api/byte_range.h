#pragma once
// HTTP Range requests (RFC 9110 §14) on a body whose length is known: the parsing of a
// `Range: bytes=...` header and the slice it asks of a body of N bytes. Pure functions.
//
// One range only. A header that is not one well-formed byte range (another unit, a list of
// ranges, bad syntax) is ignored, as RFC 9110 allows: the answer is then the whole body with
// 200. Lector never sends multipart/byteranges.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lector::api {

// One byte range as sent: `first-last`, `first-` (to the end) or `-suffix` (the last bytes).
struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;    // inclusive; absent: to the end
  std::optional<std::uint64_t> suffix;  // set: the last `suffix` bytes (first and last unused)
};

// The range of a Range header, or nullopt when the header is to be ignored (see above).
std::optional<ByteRange> parse_byte_range(std::string_view header);

// The part of a body of `total` bytes that `range` selects.
struct Slice {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// nullopt when the range cannot be satisfied (416): it starts at or past the end, or is an
// empty suffix. A range reaching past the end is cut at the end; a suffix longer than the body
// is the whole body.
std::optional<Slice> satisfy(const ByteRange& range, std::size_t total);

}  // namespace lector::api
