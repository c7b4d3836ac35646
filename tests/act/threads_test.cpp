// Results do not depend on the thread count, bit for bit, on every pass.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

TEST(Threads, EveryPassGivesTheSameBitsOnOneAndTwoThreads) {
  const std::size_t n = 3 * kParallelThreshold + 77;  // split, with a ragged end
  const auto x = testing::random_values(n, 21);
  const auto dy = testing::random_values(n, 22, 1.0f);
  for (const auto& f : registry()) {
    if (f.fn == Fn::crelu) continue;  // covered by its own test
    const Activation a(f.fn);
    std::vector<float> out[2] = {std::vector<float>(n), std::vector<float>(n)};
    std::vector<std::uint8_t> masks[2] = {std::vector<std::uint8_t>(mask_bytes(n)),
                                          std::vector<std::uint8_t>(mask_bytes(n))};
    std::vector<float> grads[2] = {std::vector<float>(n), std::vector<float>(n)};
    for (int t = 0; t < 2; ++t) {
      set_num_threads(t + 1);
      forward(a, x, out[t]);
      backward(a, x, dy, grads[t]);
      if (a.has_mask()) forward_with_mask(a, x, out[t], masks[t]);
    }
    set_num_threads(0);
    EXPECT_EQ(std::memcmp(out[0].data(), out[1].data(), n * 4), 0) << f.name;
    EXPECT_EQ(std::memcmp(grads[0].data(), grads[1].data(), n * 4), 0) << f.name;
    EXPECT_EQ(masks[0], masks[1]) << f.name;
  }
}

TEST(Threads, CountIsSettable) {
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
  set_num_threads(0);
  EXPECT_GE(num_threads(), 1);
}

}  // namespace
}  // namespace rectify
