#include "rectify/data/idx.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

#include "rectify/data/gzip.hpp"
#include "rectify/data/idx_input.hpp"

namespace rectify::data {
namespace {

namespace fs = std::filesystem;

// Trailing bytes after the data are counted up to this many: in a raw file from its size where
// it is known; a gzip stream is inflated no further than 64 KiB past the data (gigabytes of
// trailing members would otherwise be inflated only to be counted).
template <class Reader>
constexpr std::uint64_t kMaxTrailingCount = kIdxMaxDataBytes;
template <>
constexpr std::uint64_t kMaxTrailingCount<detail::GzipReader> = std::uint64_t{1} << 16;

// Raw bytes behind GzipReader's interface, so one parser serves both.
class RawReader {
 public:
  explicit RawReader(detail::ByteInput& in) : in_(in) {}
  std::size_t read(std::size_t n, std::vector<std::uint8_t>& out) {
    // Reserved once where the size is known, so the data is not copied as the vector grows.
    if (const auto rest = in_.remaining()) {
      out.reserve(out.size() + static_cast<std::size_t>(std::min<std::uint64_t>(n, *rest)));
    }
    std::size_t got = 0;
    while (got < n) {
      const auto part = in_.available();
      if (part.empty()) break;
      const std::size_t k = std::min(n - got, part.size());
      out.insert(out.end(), part.begin(), part.begin() + static_cast<std::ptrdiff_t>(k));
      in_.consume(k);
      got += k;
    }
    return got;
  }
  std::uint64_t skip_rest(std::uint64_t limit) { return in_.skip_rest(limit); }

 private:
  detail::ByteInput& in_;
};

// The file being parsed, for messages; offsets of a gzipped file count decompressed bytes.
struct Source {
  std::string_view name;
  bool gzipped;

  std::string at(std::uint64_t offset) const {
    return fmt::format("{}offset {}", gzipped ? "decompressed " : "", offset);
  }
  std::string_view after_decompression() const { return gzipped ? " after decompression" : ""; }
  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw FormatError(
        fmt::format("{}: {}", name, fmt::format(format, std::forward<Args>(args)...)));
  }
};

std::string_view type_name(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0b:
      return "16-bit integer";
    case 0x0c:
      return "32-bit integer";
    case 0x0d:
      return "32-bit float";
    case 0x0e:
      return "64-bit float";
    default:
      return "not an IDX type";
  }
}

std::string join_dims(std::span<const std::uint32_t> dims) {
  std::string s;
  for (const std::uint32_t d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

std::uint32_t big_endian(std::span<const std::uint8_t, 4> b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}

template <class Reader>
IdxArray parse(Reader& reader, const Source& src) {
  // Magic: two zero bytes, the type code, the number of dimensions.
  std::vector<std::uint8_t> header;
  const std::size_t got = reader.read(4, header);
  if (got == 0) {
    src.fail("empty{}; expected an IDX header (magic 00 00 08 0N)", src.after_decompression());
  }
  if (got < 4) {
    src.fail("truncated header: {} bytes{}, expected at least 4 (the magic number)", got,
             src.after_decompression());
  }
  if (header[0] != 0 || header[1] != 0) {
    src.fail(
        "{}: magic number {:02x} {:02x} {:02x} {:02x} is not IDX; expected 00 00 08 0N "
        "(unsigned bytes in N = 1 to 4 dimensions)",
        src.at(0), header[0], header[1], header[2], header[3]);
  }
  if (header[2] != 0x08) {
    src.fail("{} (type code): 0x{:02x} ({}) is not supported; expected 0x08 (unsigned byte)",
             src.at(2), header[2], type_name(header[2]));
  }
  const std::size_t ndims = header[3];
  if (ndims < 1 || ndims > kIdxMaxDims) {
    src.fail("{} (number of dimensions): {}; expected 1 to {}", src.at(3), ndims, kIdxMaxDims);
  }

  // Dimensions: big-endian 32-bit, each at least 1, their product within the limit.
  const std::size_t header_size = 4 + 4 * ndims;
  const std::size_t got_dims = reader.read(4 * ndims, header);
  if (got_dims < 4 * ndims) {
    src.fail("truncated header: {} dimensions need a {}-byte header, found {} bytes{}", ndims,
             header_size, 4 + got_dims, src.after_decompression());
  }
  IdxArray array;
  std::uint64_t size = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    const std::size_t offset = 4 + 4 * i;
    const std::uint32_t d = big_endian(std::span(header).subspan(offset).template first<4>());
    array.dims.push_back(d);
    if (d == 0) src.fail("{} (dimension {}): 0; expected at least 1", src.at(offset), i);
    if (size > kIdxMaxDataBytes / d) {
      src.fail("{} (dimension {}): dimensions {} hold more than {} bytes, the most accepted",
               src.at(offset), i, join_dims(array.dims), kIdxMaxDataBytes);
    }
    size *= d;
  }

  // Data: exactly the product of the dimensions, and nothing after it.
  const auto expected = static_cast<std::size_t>(size);
  const std::size_t got_data = reader.read(expected, array.data);
  if (got_data < expected) {
    src.fail("truncated: dimensions {} need {} bytes of data from {}, found {}",
             join_dims(array.dims), expected, src.at(header_size), got_data);
  }
  constexpr std::uint64_t limit = kMaxTrailingCount<Reader>;
  const std::uint64_t extra = reader.skip_rest(limit);
  if (extra > 0) {
    src.fail(
        "{}{} trailing byte{} at {}: dimensions {} need exactly {} bytes of data; expected the "
        "file to end there",
        extra > limit ? "more than " : "", std::min(extra, limit), extra == 1 ? "" : "s",
        src.at(header_size + expected), join_dims(array.dims), expected);
  }
  return array;
}

}  // namespace

IdxArray detail::parse_idx_input(ByteInput& input) {
  if (is_gzip(input.peek(2))) {
    GzipReader reader(input);
    return parse(reader, Source{input.name(), true});
  }
  RawReader reader(input);
  return parse(reader, Source{input.name(), false});
}

IdxArray parse_idx(std::span<const std::uint8_t> bytes, std::string_view name) {
  detail::ByteInput input(bytes, name);
  return detail::parse_idx_input(input);
}

IdxArray read_idx(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    throw FormatError(fmt::format("{}: file not found", name));
  }
  if (ec) throw FormatError(fmt::format("{}: cannot access: {}", name, ec.message()));
  if (fs::is_directory(status)) {
    throw FormatError(fmt::format("{}: is a directory; expected an IDX file", name));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FormatError(fmt::format("{}: cannot open: {}", name,
                                  std::error_code(errno, std::generic_category()).message()));
  }
  // Read in pieces (the compressed file is never held whole); the size of a pipe or a growing
  // file is not known in advance.
  std::optional<std::uint64_t> size;
  if (fs::is_regular_file(status)) {
    const auto bytes = fs::file_size(path, ec);
    if (!ec) size = bytes;
  }
  detail::ByteInput input(in, size, name);
  return detail::parse_idx_input(input);
}

}  // namespace rectify::data
