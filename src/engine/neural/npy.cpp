#include "engine/neural/npy.h"

#include <bit>
#include <cctype>
#include <cstdint>
#include <limits>

#include "core/error.h"

namespace lector::engine::neural {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw Error(ErrorCode::kUnavailable, label + ": " + what);
}

// The text after `'key':` in the header dict, white space skipped; empty when absent.
std::string_view value_of(std::string_view header, std::string_view key) {
  for (const char quote : {'\'', '"'}) {
    const std::string quoted = std::string(1, quote) + std::string(key) + quote;
    std::size_t at = header.find(quoted);
    if (at == std::string_view::npos) continue;
    at = header.find(':', at + quoted.size());
    if (at == std::string_view::npos) return {};
    ++at;
    while (at < header.size() && std::isspace(static_cast<unsigned char>(header[at]))) ++at;
    return header.substr(at);
  }
  return {};
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

}  // namespace

NpyArray parse_npy_float32(std::string_view bytes, const std::string& label) {
  if (bytes.size() < kMagic.size() + 4 || bytes.substr(0, kMagic.size()) != kMagic)
    fail(label, "not a .npy array (no NumPy magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_start = 10;
  std::size_t header_length = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) |
                    static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(label, "truncated .npy header");
    header_length = le32(bytes, 8);
    header_start = 12;
  } else {
    fail(label, ".npy format version " + std::to_string(major) + " is not supported");
  }
  if (header_length > bytes.size() - header_start) fail(label, "truncated .npy header");
  const std::string_view header = bytes.substr(header_start, header_length);

  const std::string_view descr = value_of(header, "descr");
  if (descr.size() < 2 || (descr[0] != '\'' && descr[0] != '"'))
    fail(label, ".npy header has no 'descr'");
  const std::string_view dtype = descr.substr(1, descr.find(descr[0], 1) - 1);
  if (dtype != "<f4")
    fail(label,
         "dtype '" + std::string(dtype) + "' is not supported (little-endian float32 '<f4')");
  const std::string_view order = value_of(header, "fortran_order");
  if (order.substr(0, 4) == "True") fail(label, "Fortran-ordered arrays are not supported");
  if (order.substr(0, 5) != "False") fail(label, ".npy header has no 'fortran_order'");

  std::string_view shape_text = value_of(header, "shape");
  if (shape_text.empty() || shape_text[0] != '(') fail(label, ".npy header has no 'shape'");
  shape_text = shape_text.substr(1, shape_text.find(')') == std::string_view::npos
                                        ? std::string_view::npos
                                        : shape_text.find(')') - 1);
  NpyArray array;
  std::size_t elements = 1;
  std::size_t at = 0;
  while (at < shape_text.size()) {
    while (at < shape_text.size() &&
           (shape_text[at] == ',' || std::isspace(static_cast<unsigned char>(shape_text[at]))))
      ++at;
    if (at == shape_text.size()) break;
    std::size_t dim = 0;
    const std::size_t start = at;
    while (at < shape_text.size() && std::isdigit(static_cast<unsigned char>(shape_text[at]))) {
      if (dim > std::numeric_limits<std::uint32_t>::max()) fail(label, ".npy shape too large");
      dim = dim * 10 + static_cast<std::size_t>(shape_text[at] - '0');
      ++at;
    }
    if (at == start) fail(label, ".npy header has a malformed 'shape'");
    if (dim != 0 && elements > std::numeric_limits<std::uint32_t>::max() / dim)
      fail(label, ".npy shape too large");
    elements *= dim;
    array.shape.push_back(dim);
  }

  const std::string_view data = bytes.substr(header_start + header_length);
  if (data.size() != elements * 4)
    fail(label, "holds " + std::to_string(data.size()) + " bytes of data, its shape needs " +
                    std::to_string(elements * 4) +
                    (data.size() < elements * 4 ? " (truncated)" : ""));
  array.data.resize(elements);
  for (std::size_t i = 0; i < elements; ++i)
    array.data[i] = std::bit_cast<float>(le32(data, i * 4));
  return array;
}

}  // namespace lector::engine::neural
