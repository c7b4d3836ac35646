// The IDX reader on arbitrary bytes. The first byte picks how the rest is read: even, as the
// file itself (raw, or gzip when it starts with 1f 8b); odd, gzip-compressed first, so that
// mutations reach the IDX header behind a valid gzip stream. Any input may be rejected with
// FormatError; nothing else may happen, and an accepted array is exactly as large as it says.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "rectify/data/idx.hpp"

namespace {

std::vector<std::uint8_t> gzipped(std::span<const std::uint8_t> raw) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::abort();
  }
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(raw.size())) + 32);
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const std::vector<std::uint8_t> compressed =
      data[0] % 2 ? gzipped(rest) : std::vector<std::uint8_t>{};
  try {
    const auto array = rectify::data::parse_idx(
        data[0] % 2 ? std::span<const std::uint8_t>(compressed) : rest, "fuzz");
    std::uint64_t count = 1;
    for (const auto d : array.dims) count *= d;
    if (array.dims.empty() || array.dims.size() > rectify::data::kIdxMaxDims ||
        count != array.data.size()) {
      std::abort();
    }
  } catch (const rectify::data::FormatError&) {
  }
  return 0;
}
