// IDX files that lie about their size: memory follows the data that really arrives, not the
// header's claim, and data after the expected end is noticed at its first bytes, not inflated in
// full to be counted.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <sstream>

#include "data_support.hpp"
#include "rectify/data/byte_input.hpp"
#include "rectify/data/idx.hpp"
#include "rectify/data/idx_input.hpp"

namespace rectify::data {
namespace {

using testing::Bytes;
using testing::gzip;

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(HostileIdx, AHeaderClaimingAGigabyteInASmallGzipHoldsOnlyWhatArrives) {
  // 1.3 million 28 x 28 images claimed (1 GB), 860 KB of incompressible data present: the
  // truncation error must come without allocating anywhere near what the header claims.
  Bytes raw = {0, 0, 0x08, 3, 0, 0x13, 0xd6, 0x20, 0, 0, 0, 28, 0, 0, 0, 28};  // 1300000 x 28 x 28
  std::mt19937_64 rng(7);
  for (int i = 0; i < 860 * 1024; ++i) raw.push_back(static_cast<std::uint8_t>(rng()));
  const Bytes file = gzip(raw);
  // Measured in a child process, whose peak resident size starts from the test's own.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const long before = peak_rss_kib();
    int status = 3;
    try {
      parse_idx(file, "claims.gz");
    } catch (const FormatError& e) {
      status = std::string(e.what()).find("truncated") != std::string::npos ? 0 : 2;
    }
    if (status == 0 && peak_rss_kib() - before > 128 * 1024) status = 1;
    _exit(status);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 1) << "more than 128 MiB resident for 860 KB of data";
  EXPECT_NE(WEXITSTATUS(status), 2) << "an error other than truncation";
  EXPECT_NE(WEXITSTATUS(status), 3) << "no error";
}

TEST(HostileIdx, TrailingGzipMembersAreNotInflatedInFull) {
  // Valid data, then 300 members of 1 MiB of zeros each (300 MiB, about 300 KB compressed).
  Bytes file = gzip(testing::make_idx({2, 3}));
  const Bytes zeros = gzip(Bytes(std::size_t{1} << 20, 0));
  for (int i = 0; i < 300; ++i) file.insert(file.end(), zeros.begin(), zeros.end());
  std::istringstream stream(std::string(file.begin(), file.end()));
  detail::ByteInput input(stream, file.size(), "trailing.gz", 4096);
  testing::expect_format_error([&] { detail::parse_idx_input(input); },
                               {"more than 65536 trailing bytes at decompressed offset 18"});
  // How much of the compressed file was read: the first trailing member's start, not the end.
  const auto read = stream.rdbuf()->pubseekoff(0, std::ios::cur, std::ios::in);
  EXPECT_LT(read, 64 * 1024) << "of " << file.size() << " compressed bytes";
}

}  // namespace
}  // namespace rectify::data
