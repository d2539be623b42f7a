#pragma once
// A reader of NumPy's .npy format (versions 1.0 to 3.0), for little-endian float32 arrays in C
// order: the magic, the header (a Python dict literal: 'descr', 'fortran_order', 'shape'),
// then the raw data. Anything else (another dtype, Fortran order, a short file) is refused
// with lector::Error(kUnavailable) whose message starts with `label` (the file or entry).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lector::engine::neural {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> data;  // row-major, shape's product elements
};

NpyArray parse_npy_float32(std::string_view bytes, const std::string& label);

}  // namespace lector::engine::neural
