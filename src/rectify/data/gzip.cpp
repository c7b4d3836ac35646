#include "rectify/data/gzip.hpp"

#define ZLIB_CONST  // next_in is const: the input is never written
#include <fmt/format.h>
#include <zlib.h>
#include <algorithm>
#include <array>
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

}  // namespace

bool is_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Behind a pointer: zlib's state points back at the z_stream, which must not move.
struct GzipReader::State {
  z_stream z{};
};

GzipReader::GzipReader(std::span<const std::uint8_t> compressed, std::string_view name)
    : state_(std::make_unique<State>()), in_(compressed), name_(name) {
  z_stream& z = state_->z;
  z.next_in = in_.data();
  z.avail_in = 0;
  const int rc = inflateInit2(&z, 16 + MAX_WBITS);  // 16: a gzip wrapper, not zlib's
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw FormatError(fmt::format("{}: zlib failed to start ({})", name_, rc));
}

GzipReader::~GzipReader() {
  inflateEnd(&state_->z);
}

std::size_t GzipReader::read(std::size_t n, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  std::size_t got = 0;
  while (got < n && !done_) {
    const std::size_t offset = static_cast<std::size_t>(state_->z.next_in - in_.data());
    const std::size_t step = std::min(n - got, (in_.size() - offset) * kMaxRatio + kSlack);
    out.resize(start + got + step);
    got += inflate_into(out.data() + start + got, step);
  }
  out.resize(start + got);
  return got;
}

std::uint64_t GzipReader::skip_rest() {
  std::array<std::uint8_t, 65536> scratch;
  std::uint64_t total = 0;
  while (!done_) total += inflate_into(scratch.data(), scratch.size());
  return total;
}

// Fills dst with up to n bytes; fewer only when the last member ends.
std::size_t GzipReader::inflate_into(std::uint8_t* dst, std::size_t n) {
  z_stream& z = state_->z;
  std::size_t produced = 0;
  while (produced < n && !done_) {
    const auto offset = static_cast<std::size_t>(z.next_in - in_.data());
    if (z.avail_in == 0) z.avail_in = static_cast<uInt>(std::min(in_.size() - offset, kMaxChunk));
    const std::size_t want = std::min(n - produced, kMaxChunk);
    z.next_out = dst + produced;
    z.avail_out = static_cast<uInt>(want);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += want - z.avail_out;
    const auto end = static_cast<std::size_t>(z.next_in - in_.data());
    if (rc == Z_STREAM_END) {
      if (end == in_.size()) {
        done_ = true;
      } else if (is_gzip(in_.subspan(end))) {
        inflateReset(&z);  // another member follows: the stream goes on
      } else {
        throw FormatError(
            fmt::format("{}: {} bytes after the end of the gzip stream at "
                        "compressed offset {}; expected the file to end there",
                        name_, in_.size() - end, end));
      }
    } else if (rc == Z_BUF_ERROR && z.avail_in == 0 && end == in_.size()) {
      throw FormatError(
          fmt::format("{}: truncated gzip stream: the compressed data ends at "
                      "offset {} before the stream does",
                      name_, end));
    } else if (rc == Z_MEM_ERROR) {
      throw std::bad_alloc();
    } else if (rc != Z_OK) {
      throw FormatError(fmt::format("{}: corrupt gzip stream near compressed offset {}: {}", name_,
                                    end, z.msg != nullptr ? z.msg : zError(rc)));
    }
  }
  return produced;
}

}  // namespace rectify::data::detail
