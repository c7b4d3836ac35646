// IDX files, the format of MNIST and Fashion-MNIST, gzipped or not. Only unsigned-byte arrays
// (type code 0x08) are read: that is what those data sets are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "rectify/data/format_error.hpp"

namespace rectify::data {

// What a header may ask for. MNIST-family files have 1 (labels) to 3 (images) dimensions and far
// less than 1 GiB of data (Fashion-MNIST's training images: 47 MB); the limits stop a hostile
// header from asking for an absurd allocation.
inline constexpr std::size_t kIdxMaxDims = 4;
inline constexpr std::uint64_t kIdxMaxDataBytes = std::uint64_t{1} << 30;

// An array of unsigned bytes: the dimensions as in the header (dims[0] is the record count of a
// data set file) and the data in row-major order, exactly the product of dims bytes.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Parses an IDX file held in memory, gzipped (detected by the magic 1f 8b) or raw; `name`
// labels it in errors. Checks the magic, the type code, 1 to 4 dimensions, each dimension and
// their product, and that the data is exactly that long: FormatError otherwise. Never reads
// outside `bytes`, and never allocates more than the data actually present.
IdxArray parse_idx(std::span<const std::uint8_t> bytes, std::string_view name);

// Reads the file at `path` and parses it as parse_idx does. FormatError if it is missing,
// unreadable or malformed, naming the path.
IdxArray read_idx(const std::filesystem::path& path);

}  // namespace rectify::data
