#include "rectify/data/gzip.hpp"

#define ZLIB_CONST  // next_in is const: the input is never written
#include <fmt/format.h>
#include <zlib.h>
#include <algorithm>
#include <array>
#include <limits>
#include <new>

#include "rectify/data/format_error.hpp"

namespace rectify::data::detail {
namespace {

// zlib counts in 32-bit uInt: hand it at most this much per call.
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
// Deflate expands at most 1032:1 (zlib's FAQ), so the compressed size bounds what is worth
// allocating before the data arrives, whatever a header claims.
constexpr std::size_t kMaxRatio = 1032;
constexpr std::size_t kSlack = std::size_t{1} << 16;
// Where the compressed size is not known (a pipe), output grows by at most this much at a time.
constexpr std::size_t kUnknownSizeStep = std::size_t{1} << 26;
// Trailing bytes after the last member are counted up to this many.
constexpr std::uint64_t kMaxTrailingCount = std::uint64_t{1} << 32;
// Output grows as data arrives, by at most what it holds already (and at least this much): what
// a header claims is never allocated before the data is there.
constexpr std::size_t kMinStep = std::size_t{1} << 16;

}  // namespace

bool is_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Behind a pointer: zlib's state points back at the z_stream, which must not move.
struct GzipReader::State {
  z_stream z{};
};

GzipReader::GzipReader(ByteInput& compressed) : state_(std::make_unique<State>()), in_(compressed) {
  z_stream& z = state_->z;
  z.next_in = nullptr;
  z.avail_in = 0;
  const int rc = inflateInit2(&z, 16 + MAX_WBITS);  // 16: a gzip wrapper, not zlib's
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw FormatError(fmt::format("{}: zlib failed to start ({})", in_.name(), rc));
}

GzipReader::~GzipReader() {
  inflateEnd(&state_->z);
}

std::size_t GzipReader::read(std::size_t n, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  std::size_t got = 0;
  while (got < n && !done_) {
    const auto rest = in_.remaining();
    const std::size_t bound =
        rest ? static_cast<std::size_t>(std::min<std::uint64_t>(
                   *rest * kMaxRatio + kSlack, std::numeric_limits<std::size_t>::max()))
             : kUnknownSizeStep;
    const std::size_t step = std::min({n - got, bound, std::max(kMinStep, got)});
    out.resize(start + got + step);
    got += inflate_into(out.data() + start + got, step);
  }
  out.resize(start + got);
  return got;
}

std::uint64_t GzipReader::skip_rest(std::uint64_t limit) {
  std::array<std::uint8_t, 65536> scratch;
  std::uint64_t total = 0;
  while (!done_ && total <= limit) total += inflate_into(scratch.data(), scratch.size());
  return total;
}

// Fills dst with up to n bytes; fewer only when the last member ends.
std::size_t GzipReader::inflate_into(std::uint8_t* dst, std::size_t n) {
  z_stream& z = state_->z;
  std::size_t produced = 0;
  while (produced < n && !done_) {
    const auto input = in_.available();
    z.next_in = input.data();
    z.avail_in = static_cast<uInt>(std::min(input.size(), kMaxChunk));
    const std::size_t want = std::min(n - produced, kMaxChunk);
    z.next_out = dst + produced;
    z.avail_out = static_cast<uInt>(want);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += want - z.avail_out;
    in_.consume(static_cast<std::size_t>(z.next_in - input.data()));
    const std::uint64_t end = in_.offset();
    if (rc == Z_STREAM_END) {
      const auto next = in_.peek(2);
      if (next.empty()) {
        done_ = true;
      } else if (is_gzip(next)) {
        inflateReset(&z);  // another member follows: the stream goes on
      } else {
        const std::uint64_t extra = in_.skip_rest(kMaxTrailingCount);
        throw FormatError(
            fmt::format("{}: {}{} bytes after the end of the gzip stream at "
                        "compressed offset {}; expected the file to end there",
                        in_.name(), extra > kMaxTrailingCount ? "more than " : "",
                        std::min(extra, kMaxTrailingCount), end));
      }
    } else if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_.available().empty()) {
      throw FormatError(
          fmt::format("{}: truncated gzip stream: the compressed data ends at "
                      "offset {} before the stream does",
                      in_.name(), end));
    } else if (rc == Z_MEM_ERROR) {
      throw std::bad_alloc();
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw FormatError(fmt::format("{}: corrupt gzip stream near compressed offset {}: {}",
                                    in_.name(), end, z.msg != nullptr ? z.msg : zError(rc)));
    }
  }
  return produced;
}

}  // namespace rectify::data::detail
