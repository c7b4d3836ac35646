// A gzip stream held in memory, decompressed piece by piece: the IDX parser asks for the header,
// then for exactly the payload it announced, so a hostile file never makes it hold more than
// the data it really contains. Internal to the data layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rectify::data::detail {

// True when bytes start with the gzip magic 1f 8b.
bool is_gzip(std::span<const std::uint8_t> bytes);

// Concatenated gzip members read as one stream, as `gzip -d` does; anything else after the last
// member is an error. Errors are FormatError naming `name` and the compressed offset.
class GzipReader {
 public:
  GzipReader(std::span<const std::uint8_t> compressed, std::string_view name);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Appends up to n decompressed bytes to out; fewer only at the end of the stream.
  std::size_t read(std::size_t n, std::vector<std::uint8_t>& out);
  // Decompresses the rest, keeping nothing (so the checksums are verified); returns its size.
  std::uint64_t skip_rest();

 private:
  struct State;  // keeps zlib.h out of this header
  std::size_t inflate_into(std::uint8_t* dst, std::size_t n);

  std::unique_ptr<State> state_;
  std::span<const std::uint8_t> in_;
  std::string name_;
  bool done_ = false;
};

}  // namespace rectify::data::detail
