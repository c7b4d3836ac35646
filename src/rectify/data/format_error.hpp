// The one error of the data layer.
#pragma once

#include <stdexcept>

namespace rectify::data {

// A data file is missing, unreadable or malformed. The message names the file, the offset or
// field at fault, and what was expected, e.g. "t.gz: decompressed offset 2 (type code): 0x0d
// (32-bit float) is not supported; expected 0x08 (unsigned byte)".
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rectify::data
