// Reading a file in pieces (what read_idx does, so a compressed file is never held whole) gives
// exactly what parsing it from memory gives: the same array, or the same FormatError, whatever
// the piece size, whether the size is known (a file) or not (a pipe).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "data_support.hpp"
#include "rectify/data/idx.hpp"
#include "rectify/data/idx_input.hpp"

namespace rectify::data {
namespace {

using testing::Bytes;
using testing::gzip;
using testing::make_idx;

// The outcome of a parse: the array, or the error's message.
struct Outcome {
  bool ok = false;
  IdxArray array;
  std::string error;
};

Outcome from_memory(const Bytes& bytes) {
  try {
    return {true, parse_idx(bytes, "f"), ""};
  } catch (const FormatError& e) {
    return {false, {}, e.what()};
  }
}

Outcome from_stream(const Bytes& bytes, std::size_t piece, bool size_known) {
  std::istringstream stream(std::string(bytes.begin(), bytes.end()));
  std::optional<std::uint64_t> size;
  if (size_known) size = bytes.size();
  detail::ByteInput input(stream, size, "f", piece);
  try {
    return {true, detail::parse_idx_input(input), ""};
  } catch (const FormatError& e) {
    return {false, {}, e.what()};
  }
}

void expect_same(const Outcome& expected, const Outcome& got, const std::string& what) {
  ASSERT_EQ(expected.ok, got.ok) << what << ": " << expected.error << got.error;
  EXPECT_EQ(expected.error, got.error) << what;
  EXPECT_EQ(expected.array.dims, got.array.dims) << what;
  EXPECT_EQ(expected.array.data, got.array.data) << what;
}

TEST(ByteInput, EveryPieceSizeReadsWhatMemoryReads) {
  const Bytes raw = make_idx({9, 7, 5}, 3);
  Bytes two_members = gzip(Bytes(raw.begin(), raw.begin() + 100), 1);
  const Bytes second = gzip(Bytes(raw.begin() + 100, raw.end()), 9);
  two_members.insert(two_members.end(), second.begin(), second.end());
  const std::vector<std::pair<std::string, Bytes>> files = {{"raw", raw},
                                                            {"gzip 0", gzip(raw, 0)},
                                                            {"gzip 1", gzip(raw, 1)},
                                                            {"gzip 9", gzip(raw)},
                                                            {"two members", two_members}};
  for (const auto& [name, bytes] : files) {
    const Outcome expected = from_memory(bytes);
    ASSERT_TRUE(expected.ok) << name << ": " << expected.error;
    for (const std::size_t piece : {1, 2, 3, 7, 64, 4096}) {
      for (const bool size_known : {true, false}) {
        expect_same(expected, from_stream(bytes, piece, size_known),
                    name + " piece " + std::to_string(piece) + (size_known ? " sized" : ""));
      }
    }
  }
}

// Truncation, trailing bytes, changed bytes: the same message from a stream as from memory,
// including the offsets it names.
TEST(ByteInput, DamagedStreamsFailAsMemoryDoes) {
  const Bytes raw = make_idx({5, 6, 7}, 1);
  const Bytes gz = gzip(raw);
  std::mt19937_64 rng(99);
  int errors = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    Bytes b = trial % 2 == 0 ? raw : gz;
    testing::damage(b, rng);
    if (rng() % 4 == 0) b.push_back(static_cast<std::uint8_t>(rng()));  // a trailing byte
    const Outcome expected = from_memory(b);
    errors += expected.ok ? 0 : 1;
    const std::size_t piece = std::size_t{1} + rng() % 9;
    expect_same(expected, from_stream(b, piece, rng() % 2 == 0),
                "trial " + std::to_string(trial) + " piece " + std::to_string(piece));
  }
  EXPECT_GT(errors, 500);  // the damage did reach the parser
}

// A stream buffer that fails after `good` bytes, as a disk read error does.
class FailingBuffer : public std::streambuf {
 public:
  FailingBuffer(const Bytes& bytes, std::size_t good) : bytes_(bytes), good_(good) {}

 protected:
  int_type underflow() override {
    if (pos_ >= good_) throw std::runtime_error("I/O error");
    if (pos_ >= bytes_.size()) return traits_type::eof();
    ch_ = static_cast<char>(bytes_[pos_++]);
    setg(&ch_, &ch_, &ch_ + 1);
    return traits_type::to_int_type(ch_);
  }

 private:
  const Bytes& bytes_;
  std::size_t good_, pos_ = 0;
  char ch_ = 0;
};

TEST(ByteInput, ReadErrorsAreFormatErrors) {
  const Bytes gz = gzip(make_idx({50, 40}, 2));
  FailingBuffer buffer(gz, gz.size() / 2);
  std::istream stream(&buffer);
  detail::ByteInput input(stream, gz.size(), "disk.gz", 16);
  testing::expect_format_error([&] { detail::parse_idx_input(input); }, {"disk.gz", "read error"});
}

// read_idx on a named pipe: no size known in advance, the data arrives as it is written.
TEST(ByteInput, ReadsANamedPipe) {
  testing::ScratchDir dir;
  const auto fifo = dir.path() / "images.gz";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const Bytes raw = make_idx({300, 28, 28}, 5);
  const Bytes gz = gzip(raw);
  std::thread writer([&] { testing::write_file(fifo, gz); });
  const IdxArray a = read_idx(fifo);
  writer.join();
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{300, 28, 28}));
  EXPECT_EQ(a.data, parse_idx(raw, "raw").data);
}

}  // namespace
}  // namespace rectify::data
