// A gzip stream decompressed piece by piece from a ByteInput (memory or a file read in pieces):
// the IDX parser asks for the header, then for exactly the payload it announced, so a hostile
// file never makes it hold more than the data it really contains. Internal to the data layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/data/byte_input.hpp"

namespace rectify::data::detail {

// True when bytes start with the gzip magic 1f 8b.
bool is_gzip(std::span<const std::uint8_t> bytes);

// Concatenated gzip members read as one stream, as `gzip -d` does; anything else after the last
// member is an error. Errors are FormatError naming the input and the compressed offset.
class GzipReader {
 public:
  explicit GzipReader(ByteInput& compressed);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Appends up to n decompressed bytes to out; fewer only at the end of the stream.
  std::size_t read(std::size_t n, std::vector<std::uint8_t>& out);
  // Decompresses the rest, keeping nothing (so the checksums are verified); returns its size.
  // Stops once more than `limit` bytes came out (then the stream is left unfinished): gigabytes
  // of trailing members are not inflated only to be counted.
  std::uint64_t skip_rest(std::uint64_t limit);

 private:
  struct State;  // keeps zlib.h out of this header
  std::size_t inflate_into(std::uint8_t* dst, std::size_t n);

  std::unique_ptr<State> state_;
  ByteInput& in_;
  bool done_ = false;
};

}  // namespace rectify::data::detail
