// The IDX reader: every rank, raw and gzipped alike, and a FormatError that names the file, the
// place and what was expected for every kind of damage, never a crash.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "data_support.hpp"
#include "rectify/data/idx.hpp"
#include "rectify/data/sample.hpp"

namespace rectify::data {
namespace {

using testing::Bytes;
using testing::expect_format_error;
using testing::gunzip;
using testing::gzip;
using testing::make_idx;

void expect_parse_error(const Bytes& bytes, std::initializer_list<std::string_view> parts) {
  expect_format_error([&] { parse_idx(bytes, "f.idx"); }, parts);
}

TEST(Idx, ParsesEveryRankFromOneToFour) {
  const std::vector<std::vector<std::uint32_t>> shapes = {{5}, {258, 2}, {2, 3, 4}, {1, 2, 3, 4}};
  for (const auto& dims : shapes) {
    Bytes bytes = {0, 0, 8, static_cast<std::uint8_t>(dims.size())};
    std::size_t n = 1;
    for (const auto d : dims) {
      bytes.insert(bytes.end(),
                   {0, 0, static_cast<std::uint8_t>(d >> 8), static_cast<std::uint8_t>(d & 0xff)});
      n *= d;
    }
    for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 7));
    const IdxArray a = parse_idx(bytes, "f.idx");
    EXPECT_EQ(a.dims, dims);  // big-endian: 258 is 00 00 01 02
    EXPECT_EQ(a.data, Bytes(bytes.begin() + static_cast<long>(4 + 4 * dims.size()), bytes.end()));
  }
}

TEST(Idx, GzippedAndRawParseIdentically) {
  const Bytes raw = make_idx({7, 5, 3}, 11);
  const IdxArray expected = parse_idx(raw, "f.idx");
  for (const int level : {0, 1, 9}) {  // 0: stored blocks, no compression at all
    const IdxArray a = parse_idx(gzip(raw, level), "f.idx.gz");
    EXPECT_EQ(a.dims, expected.dims) << "level " << level;
    EXPECT_EQ(a.data, expected.data) << "level " << level;
  }
}

TEST(Idx, EmbeddedSampleFilesParseIdenticallyGzippedAndRaw) {
  ASSERT_EQ(detail::embedded_sample().size(), 4u);
  for (const auto& file : detail::embedded_sample()) {
    const Bytes gz(file.bytes.begin(), file.bytes.end());
    const IdxArray from_gz = parse_idx(gz, file.name);
    const IdxArray from_raw = parse_idx(gunzip(gz), file.name);
    EXPECT_EQ(from_gz.dims, from_raw.dims) << file.name;
    EXPECT_EQ(from_gz.data, from_raw.data) << file.name;
  }
}

TEST(Idx, ConcatenatedGzipMembersAreOneStream) {
  const Bytes raw = make_idx({40, 10});
  Bytes gz = gzip(Bytes(raw.begin(), raw.begin() + 3));  // splits the magic
  for (const auto& part :
       {Bytes(raw.begin() + 3, raw.begin() + 100), Bytes(raw.begin() + 100, raw.end())}) {
    const Bytes member = gzip(part);
    gz.insert(gz.end(), member.begin(), member.end());
  }
  EXPECT_EQ(parse_idx(gz, "f.gz").data, parse_idx(raw, "f").data);
}

TEST(Idx, ReadsRawAndGzippedFiles) {
  testing::ScratchDir dir;
  const Bytes raw = make_idx({3, 4, 4});
  testing::write_file(dir.path() / "a", raw);
  testing::write_file(dir.path() / "a.gz", gzip(raw));
  EXPECT_EQ(read_idx(dir.path() / "a").data, parse_idx(raw, "a").data);
  EXPECT_EQ(read_idx(dir.path() / "a.gz").dims, (std::vector<std::uint32_t>{3, 4, 4}));
}

TEST(Idx, WrongMagicIsAnError) {
  expect_parse_error({1, 0, 8, 1, 0, 0, 0, 1, 9},
                     {"f.idx: ", "offset 0", "magic number 01 00 08 01", "expected 00 00 08 0N"});
  expect_parse_error({0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, {"magic number 89 50 4e 47"});
}

TEST(Idx, OtherTypeCodesAreRejectedByName) {
  const std::pair<std::uint8_t, std::string_view> types[] = {
      {0x09, "0x09 (signed byte)"},    {0x0b, "0x0b (16-bit integer)"},
      {0x0c, "0x0c (32-bit integer)"}, {0x0d, "0x0d (32-bit float)"},
      {0x0e, "0x0e (64-bit float)"},   {0x00, "0x00 (not an IDX type)"},
      {0xff, "0xff (not an IDX type)"}};
  for (const auto& [code, text] : types) {
    expect_parse_error({0, 0, code, 1, 0, 0, 0, 1, 0},
                       {"offset 2 (type code)", text, "expected 0x08 (unsigned byte)"});
  }
}

TEST(Idx, DimensionCountMustBeOneToFour) {
  for (const std::uint8_t n : std::initializer_list<std::uint8_t>{0, 5, 255}) {
    Bytes bytes(4 + 4 * std::size_t{n}, 1);  // a header's worth of 1s after the magic
    bytes[0] = bytes[1] = 0;
    bytes[2] = 8;
    bytes[3] = n;
    expect_parse_error(
        bytes, {"offset 3 (number of dimensions): " + std::to_string(n), "expected 1 to 4"});
  }
}

TEST(Idx, EveryDimensionMustBeNonZero) {
  expect_parse_error(make_idx({3, 0, 2}), {"offset 8 (dimension 1): 0", "expected at least 1"});
  expect_parse_error(make_idx({0}), {"offset 4 (dimension 0): 0"});
}

TEST(Idx, SizeAboveTheLimitIsAnErrorBeforeAnyAllocation) {
  Bytes big = {0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0};  // 65536 x 65536: 4 GiB
  expect_parse_error(
      big, {"offset 8 (dimension 1)", "dimensions 65536 x 65536", "more than 1073741824 bytes"});
  const Bytes huge = {0, 0, 8, 4, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  expect_parse_error(huge, {"offset 4 (dimension 0): dimensions 4294967295 hold more than"});
  // 2^30 four times: 2^120 would overflow any integer; the check stops at the second.
  const Bytes overflow = {0, 0, 8, 4, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0};
  expect_parse_error(overflow, {"offset 8 (dimension 1): dimensions 1073741824 x 1073741824 hold"});
  // At the limit itself the header is fine; the missing data is what is wrong.
  expect_parse_error({0, 0, 8, 1, 0x40, 0, 0, 0}, {"truncated", "need 1073741824 bytes"});
}

TEST(Idx, EmptyInputIsAnError) {
  expect_parse_error({}, {"f.idx: empty", "expected an IDX header"});
  expect_parse_error(gzip({}), {"empty after decompression"});
}

TEST(Idx, TruncatedHeaderAtEveryLength) {
  const Bytes file = make_idx({2, 3, 3});
  for (std::size_t n = 1; n < 16; ++n) {
    SCOPED_TRACE(n);
    const Bytes cut(file.begin(), file.begin() + static_cast<long>(n));
    if (n < 4) {
      expect_parse_error(cut,
                         {"truncated header", std::to_string(n) + " bytes", "expected at least 4"});
    } else {
      expect_parse_error(cut, {"truncated header: 3 dimensions need a 16-byte header",
                               "found " + std::to_string(n) + " bytes"});
    }
  }
}

TEST(Idx, TruncatedDataAtEveryLengthSaysExpectedAndFound) {
  const Bytes file = make_idx({2, 3, 3});  // 16-byte header, 18 bytes of data
  for (std::size_t n = 16; n < file.size(); ++n) {
    SCOPED_TRACE(n);
    const Bytes cut(file.begin(), file.begin() + static_cast<long>(n));
    expect_parse_error(
        cut, {"f.idx: truncated: dimensions 2 x 3 x 3 need 18 bytes of data from offset 16",
              "found " + std::to_string(n - 16)});
  }
}

TEST(Idx, TrailingBytesAreAnError) {
  Bytes file = make_idx({2, 3});
  file.push_back(0);
  expect_parse_error(file,
                     {"1 trailing byte at offset 18", "dimensions 2 x 3 need exactly 6 bytes"});
  file.insert(file.end(), 99, 7);
  expect_parse_error(file, {"100 trailing bytes at offset 18"});
  expect_parse_error(gzip(file), {"100 trailing bytes at decompressed offset 18"});
}

TEST(Idx, GzippedErrorsGiveDecompressedOffsets) {
  expect_parse_error(gzip({0, 0, 0x0d, 1, 0, 0, 0, 1, 0}), {"decompressed offset 2 (type code)"});
  const Bytes file = make_idx({4, 4});
  expect_parse_error(
      gzip(Bytes(file.begin(), file.end() - 3)),
      {"truncated: dimensions 4 x 4 need 16 bytes of data from decompressed offset 12",
       "found 13"});
}

TEST(Idx, TruncatedGzipAtEveryLength) {
  const Bytes gz = gzip(make_idx({6, 7}, 3));
  for (std::size_t n = 0; n < gz.size(); ++n) {
    SCOPED_TRACE(n);
    expect_parse_error(Bytes(gz.begin(), gz.begin() + static_cast<long>(n)), {"f.idx: "});
  }
  // Past the 10-byte gzip header the stream itself is what ends early.
  expect_parse_error(Bytes(gz.begin(), gz.begin() + 12), {"truncated gzip stream"});
  expect_parse_error(Bytes(gz.begin(), gz.end() - 1), {"truncated gzip stream"});
}

TEST(Idx, CorruptGzipIsAnError) {
  const Bytes gz = gzip(make_idx({20, 20}, 5), 9);
  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 1;  // the CRC-32 of the data follows the deflate stream
  expect_parse_error(bad_crc, {"f.idx: corrupt gzip stream", "incorrect data check"});
  Bytes bad_length = gz;
  bad_length[bad_length.size() - 1] ^= 1;  // ISIZE, the data's length mod 2^32
  expect_parse_error(bad_length, {"corrupt gzip stream", "incorrect length check"});
  expect_parse_error({0x1f, 0x8b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0},
                     {"corrupt gzip stream", "compressed offset"});
  Bytes bad_block = gz;
  bad_block[10] = 0xff;  // the first block header: type 3 is reserved
  expect_parse_error(bad_block, {"corrupt gzip stream"});
}

TEST(Idx, BytesAfterTheGzipStreamAreAnError) {
  Bytes gz = gzip(make_idx({3}));
  const std::size_t end = gz.size();
  gz.insert(gz.end(), {'x', 'y', 'z'});
  expect_parse_error(
      gz, {"3 bytes after the end of the gzip stream at compressed offset " + std::to_string(end)});
}

TEST(Idx, MissingUnreadableAndEmptyFiles) {
  testing::ScratchDir dir;
  const auto missing = dir.path() / "no-such-file.gz";
  expect_format_error([&] { read_idx(missing); }, {missing.string(), "file not found"});
  expect_format_error([&] { read_idx(dir.path()); }, {"is a directory"});
  testing::write_file(dir.path() / "empty", {});
  expect_format_error([&] { read_idx(dir.path() / "empty"); },
                      {(dir.path() / "empty").string() + ": empty"});
}

// Random damage to a raw and a gzipped file: a result or a FormatError, never anything else
// (under the sanitizers, never an out-of-bounds read either).
TEST(Idx, RandomDamageNeverCrashes) {
  const Bytes raw = make_idx({5, 6, 7}, 1);
  const Bytes gz = gzip(raw);
  std::mt19937_64 rng(1234);
  int errors = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    Bytes b = trial % 2 == 0 ? raw : gz;
    testing::damage(b, rng);
    try {
      const IdxArray a = parse_idx(b, "damaged");
      std::size_t n = 1;
      for (const auto d : a.dims) n *= d;
      EXPECT_EQ(a.data.size(), n);
    } catch (const FormatError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);  // the damage did reach the parser
}

}  // namespace
}  // namespace rectify::data
