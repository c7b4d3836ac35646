// The piecewise-linear family is bit-exact against the scalar float reference on every SIMD
// target, at every awkward size, unaligned, in place, and on every special value; backward from
// the output and from the 1-bit mask agree bit for bit with backward from the input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

using testing::describe;
using testing::same_float;

// Every exact function from the registry whose output has its input's shape (crelu's two
// halves have a test of their own).
std::vector<Activation> piecewise_cases() {
  return testing::registry_cases(
      [](const FunctionInfo& f) { return f.exact && f.layer.kind != LayerKind::channel_pair; });
}

// Checks out[i] against expected(i) bit for bit; reports the first mismatch with its context.
template <class Expected>
void expect_all_same(const std::vector<float>& out, std::size_t offset, std::size_t n,
                     const Expected& expected, const std::string& what) {
  for (std::size_t i = 0; i < n; ++i) {
    const float want = expected(i);
    if (!same_float(out[offset + i], want)) {
      ADD_FAILURE() << what << " at index " << i << " of " << n << ": expected " << describe(want)
                    << ", got " << describe(out[offset + i]);
      return;
    }
  }
}

class PiecewiseExact : public ::testing::TestWithParam<Activation> {};

TEST_P(PiecewiseExact, EveryPassMatchesTheReferenceOnEveryTarget) {
  const Activation a = GetParam();
  testing::for_each_target([&](const std::string&) {
    for (const std::size_t n : testing::awkward_sizes()) {
      for (const std::size_t offset : {0, 1, 3}) {
        if (n > 200 && offset == 3) continue;
        SCOPED_TRACE("n = " + std::to_string(n) + ", offset = " + std::to_string(offset));
        // Buffers one larger than needed, used from `offset`, so pointers are unaligned.
        auto x = testing::random_values(n + offset, static_cast<std::uint32_t>(n), 4.0f);
        auto dy = testing::random_values(n + offset, static_cast<std::uint32_t>(n + 7), 2.0f);
        std::vector<float> y(n + offset), dx(n + offset);
        const std::span xs(x.data() + offset, n), dys(dy.data() + offset, n);
        const std::span ys(y.data() + offset, n), dxs(dx.data() + offset, n);

        forward(a, xs, ys);
        expect_all_same(
            y, offset, n, [&](std::size_t i) { return ref::forward(a, xs[i]); }, "forward");
        backward(a, xs, dys, dxs);
        expect_all_same(
            dx, offset, n, [&](std::size_t i) { return ref::backward(a, xs[i], dys[i]); },
            "backward");
        if (a.has_backward_from_output()) {
          backward_from_output(a, ys, dys, dxs);
          expect_all_same(
              dx, offset, n, [&](std::size_t i) { return ref::backward(a, xs[i], dys[i]); },
              "backward_from_output (against backward from the input)");
        }
        if (a.has_mask()) {
          std::vector<std::uint8_t> mask(mask_bytes(n), 0xAB);
          std::vector<float> y2(n + offset);
          const std::span y2s(y2.data() + offset, n);
          forward_with_mask(a, xs, y2s, mask);
          expect_all_same(
              y2, offset, n, [&](std::size_t i) { return ys[i]; }, "forward_with_mask's y");
          for (std::size_t i = 0; i < 8 * mask.size(); ++i) {
            const bool bit = (mask[i / 8] >> (i % 8)) & 1;
            const bool want = i < n && ref::mask_bit(a, xs[i]);
            ASSERT_EQ(bit, want) << "mask bit " << i << " of " << n
                                 << (i < n ? " for x = " + describe(xs[i]) : " (padding)");
          }
          backward_from_mask(a, mask, dys, dxs);
          expect_all_same(
              dx, offset, n, [&](std::size_t i) { return ref::backward(a, xs[i], dys[i]); },
              "backward_from_mask (against backward from the input)");
        }
        // In place: the output is the input.
        std::vector<float> inplace(x);
        const std::span io(inplace.data() + offset, n);
        forward(a, io, io);
        expect_all_same(
            inplace, offset, n, [&](std::size_t i) { return ys[i]; }, "forward in place");
      }
    }
  });
}

TEST_P(PiecewiseExact, SpecialValuesAgainstEverySpecialGradient) {
  const Activation a = GetParam();
  const auto specials = testing::special_values();
  // Every pair (x, dy) of special values, so infinite and NaN gradients are covered too.
  std::vector<float> x, dy;
  for (float xi : specials) {
    for (float gi : specials) {
      x.push_back(xi);
      dy.push_back(gi);
    }
  }
  const std::size_t n = x.size();
  testing::for_each_target([&](const std::string&) {
    std::vector<float> y(n), dx(n);
    forward(a, x, y);
    expect_all_same(
        y, 0, n, [&](std::size_t i) { return ref::forward(a, x[i]); }, "forward");
    backward(a, x, dy, dx);
    expect_all_same(
        dx, 0, n, [&](std::size_t i) { return ref::backward(a, x[i], dy[i]); }, "backward");
  });
}

INSTANTIATE_TEST_SUITE_P(Family, PiecewiseExact, ::testing::ValuesIn(piecewise_cases()),
                         testing::case_name);

// The values PyTorch 1.13 gives, written down in the issue and the README's semantics table.
TEST(PiecewiseSemantics, MatchesPyTorchAtZeroNanAndClipPoints) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Activation relu, relu6 = Activation::parse("relu6");
  const Activation leaky = Activation::parse("leaky_relu:0.01");
  std::vector<float> x = {-0.0f, nan, 0.0f, 6.0f}, y(4), dx(4), one(4, 1.0f);
  forward(relu, x, y);
  EXPECT_TRUE(std::signbit(y[0]) && y[0] == 0.0f) << "relu(-0.0) = -0.0";
  EXPECT_TRUE(std::isnan(y[1])) << "relu(NaN) = NaN";
  backward(relu, x, one, dx);
  EXPECT_EQ(dx[1], 1.0f) << "relu'(NaN) = 1";
  EXPECT_EQ(dx[2], 0.0f) << "relu'(0) = 0";
  backward(relu6, x, one, dx);
  EXPECT_EQ(dx[2], 0.0f) << "relu6'(0) = 0";
  EXPECT_EQ(dx[3], 0.0f) << "relu6'(6) = 0";
  backward(leaky, x, one, dx);
  EXPECT_EQ(dx[2], 0.01f) << "leaky'(0) = slope";
}

}  // namespace
}  // namespace rectify
