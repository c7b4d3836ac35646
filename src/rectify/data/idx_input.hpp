// Parsing IDX from a ByteInput: what parse_idx (memory) and read_idx (a file read in pieces)
// share. Internal to the data layer.
#pragma once

#include "rectify/data/byte_input.hpp"
#include "rectify/data/idx.hpp"

namespace rectify::data::detail {

// Raw or gzipped, told apart by the gzip magic; errors are FormatError naming input.name().
IdxArray parse_idx_input(ByteInput& input);

}  // namespace rectify::data::detail
