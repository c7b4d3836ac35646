// Results do not depend on the thread count, bit for bit, on every pass.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

TEST(Threads, EveryPassGivesTheSameBitsOnOneAndTwoThreads) {
  const std::size_t n = 3 * kParallelThreshold + 77;  // split, with a ragged end
  const auto x = testing::random_values(n, 21);
  const auto dy = testing::random_values(n, 22, 1.0f);
  for (const auto& f : registry()) {
    if (f.layer.kind == LayerKind::channel_pair) continue;  // covered by its own test
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

namespace rectify {
namespace {

// Spans of 2^22 elements and more, written out of place to aligned memory, take the streaming
// store path (drivers-inl.h, kStreamElements): it must give the same bits as the reference.
TEST(LargeSpans, StreamingStoresGiveTheReferenceBits) {
  const std::size_t n = (std::size_t{1} << 22) + 77;
  const auto x = testing::random_values(n, 31);
  const auto dy = testing::random_values(n, 32, 1.0f);
  // 64-byte aligned outputs, so the streaming path is taken.
  std::unique_ptr<float[], decltype(&std::free)> y(
      static_cast<float*>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64)), &std::free);
  const std::span<float> out(y.get(), n);
  std::vector<std::uint8_t> mask(mask_bytes(n));
  set_num_threads(1);
  for (const char* spec : {"relu", "leaky_relu:0.1", "elu"}) {
    const auto a = Activation::parse(spec);
    forward(a, x, out);
    for (std::size_t i = 0; i < n; i += 997) {
      const float want = static_cast<float>(ref::forward(a, static_cast<double>(x[i])));
      ASSERT_LE(testing::ulp_distance(out[i], want), 2) << spec << " at " << i;
    }
    backward(a, x, dy, out);
    for (std::size_t i = 0; i < n; i += 997) {
      const float want = static_cast<float>(
          ref::backward(a, static_cast<double>(x[i]), static_cast<double>(dy[i])));
      ASSERT_LE(testing::ulp_distance(out[i], want), 2) << spec << " backward at " << i;
    }
    if (a.has_mask()) {
      std::vector<float> y2(n);
      forward_with_mask(a, x, out, mask);
      backward_from_mask(a, mask, dy, out);
      backward(a, x, dy, y2);
      ASSERT_EQ(std::memcmp(out.data(), y2.data(), n * 4), 0) << spec << " from the mask";
    }
  }
  set_num_threads(0);
}

}  // namespace
}  // namespace rectify
