// PReLU (shared and per channel, NCHW and NHWC) and CReLU along a channel axis, against the
// scalar reference; the slope gradient against a double sum and finite differences.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

struct Shape {
  std::size_t n, c, h, w;
};

// Element (n, c, h, w) of an NCHW or NHWC buffer.
std::size_t index_of(const Shape& s, bool nhwc, std::size_t n, std::size_t c, std::size_t h,
                     std::size_t w) {
  return nhwc ? ((n * s.h + h) * s.w + w) * s.c + c : ((n * s.c + c) * s.h + h) * s.w + w;
}

void check_prelu(const Shape& s, bool nhwc, bool shared) {
  SCOPED_TRACE(fmt::format("{}x{}x{}x{} {} {}", s.n, s.c, s.h, s.w, nhwc ? "NHWC" : "NCHW",
                           shared ? "shared" : "per channel"));
  const std::size_t size = s.n * s.c * s.h * s.w;
  const auto layout =
      nhwc ? ChannelLayout::nhwc(s.n, s.h, s.w, s.c) : ChannelLayout::nchw(s.n, s.c, s.h, s.w);
  auto x = testing::random_values(size, 11, 3.0f);
  for (auto& v : x) v = std::fabs(v) < 1e6f ? v : -1.5f;  // keep x * dy finite for the sums
  auto dy = testing::random_values(size, 12, 1.0f);
  for (auto& v : dy) v = std::fabs(v) < 1e6f ? v : 0.5f;
  std::vector<float> slopes(shared ? 1 : s.c);
  for (std::size_t c = 0; c < slopes.size(); ++c) slopes[c] = 0.05f * float(c) - 0.2f;
  std::vector<float> y(size), dx(size), dslopes(slopes.size());
  prelu_forward(x, slopes, layout, y);
  prelu_backward(x, slopes, dy, layout, dx, dslopes);

  std::vector<double> want_dslopes(slopes.size(), 0.0);
  for (std::size_t n = 0; n < s.n; ++n)
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t h = 0; h < s.h; ++h)
        for (std::size_t w = 0; w < s.w; ++w) {
          const std::size_t i = index_of(s, nhwc, n, c, h, w);
          const Activation a = testing::make("prelu", {slopes[shared ? 0 : c]});
          ASSERT_TRUE(testing::same_float(y[i], ref::forward(a, x[i]))) << "y at " << i;
          ASSERT_TRUE(testing::same_float(dx[i], ref::backward(a, x[i], dy[i]))) << "dx at " << i;
          if (!(x[i] > 0)) {
            want_dslopes[shared ? 0 : c] += double(x[i]) * dy[i];
          }
        }
  for (std::size_t c = 0; c < slopes.size(); ++c) {
    EXPECT_NEAR(dslopes[c], want_dslopes[c], 1e-4 * (1 + std::fabs(want_dslopes[c])))
        << "dslope " << c;
  }
}

TEST(Prelu, MatchesTheReferenceInEveryLayout) {
  for (const Shape s : {Shape{2, 3, 5, 7}, Shape{1, 64, 1, 1}, Shape{3, 17, 33, 1},
                        Shape{4, 32, 40, 41}, Shape{1, 1, 300, 301}}) {
    for (bool nhwc : {false, true}) {
      for (bool shared : {false, true}) check_prelu(s, nhwc, shared);
    }
  }
}

TEST(Prelu, SlopeGradientMatchesFiniteDifferencesOfTheLoss) {
  // loss = sum(dy * prelu(x; slopes)); d loss / d slope_c by central differences in double.
  const auto layout = ChannelLayout::nchw(2, 4, 3, 3);
  std::vector<float> x = testing::random_values(layout.size(), 5, 2.0f), dy(layout.size());
  for (auto& v : x) v = std::isfinite(v) ? v : -1.0f;
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = 0.1f * float(i % 7) - 0.3f;
  std::vector<float> slopes = {0.1f, 0.2f, -0.1f, 0.3f}, dx(x.size()), ds(4);
  prelu_backward(x, slopes, dy, layout, dx, ds);
  for (std::size_t c = 0; c < 4; ++c) {
    const auto loss = [&](double slope) {
      double sum = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double a = (i / layout.inner) % 4 == c ? slope : slopes[(i / layout.inner) % 4];
        sum += dy[i] * (x[i] > 0 ? double(x[i]) : a * x[i]);
      }
      return sum;
    };
    const double h = 1e-3;
    EXPECT_NEAR(ds[c], (loss(slopes[c] + h) - loss(slopes[c] - h)) / (2 * h), 1e-4);
  }
}

TEST(Prelu, ResultsDoNotDependOnTheThreadCount) {
  const auto layout = ChannelLayout::nchw(8, 16, 64, 64);  // above the threading threshold
  const auto x = testing::random_values(layout.size(), 3);
  const auto dy = testing::random_values(layout.size(), 4, 1.0f);
  std::vector<float> slopes(16, 0.25f), dx1(x.size()), dx2(x.size()), ds1(16), ds2(16);
  set_num_threads(1);
  prelu_backward(x, slopes, dy, layout, dx1, ds1);
  set_num_threads(2);
  prelu_backward(x, slopes, dy, layout, dx2, ds2);
  set_num_threads(0);
  EXPECT_EQ(std::memcmp(dx1.data(), dx2.data(), dx1.size() * 4), 0);
  EXPECT_EQ(std::memcmp(ds1.data(), ds2.data(), ds1.size() * 4), 0);
}

TEST(Prelu, RejectsBadShapes) {
  std::vector<float> x(24), y(24), slopes(3), dx(24), ds(2);
  EXPECT_THROW(prelu_forward(x, slopes, ChannelLayout::nchw(2, 4, 3, 1), y),
               std::invalid_argument);  // 3 slopes for 4 channels
  EXPECT_THROW(prelu_forward(x, slopes, ChannelLayout::nchw(2, 3, 3, 3), y),
               std::invalid_argument);  // 24 elements for a 54-element layout
  EXPECT_THROW(prelu_backward(x, slopes, x, ChannelLayout::nchw(2, 3, 4, 1), dx, ds),
               std::invalid_argument);  // dslopes size
}

TEST(Crelu, ConcatenatesAlongTheChannelAxis) {
  const ChannelLayout layout{3, 4, 5};  // (N, C, HW)
  const auto x = testing::random_values(layout.size(), 8, 2.0f);
  const auto dy = testing::random_values(2 * layout.size(), 9, 1.0f);
  std::vector<float> y(2 * x.size()), dx(x.size());
  crelu_forward(x, layout, y);
  crelu_backward(x, dy, layout, dx);
  const std::size_t block = layout.channels * layout.inner;
  for (std::size_t o = 0; o < layout.outer; ++o) {
    for (std::size_t k = 0; k < block; ++k) {
      const float xi = x[o * block + k];
      const float first = y[2 * o * block + k], second = y[2 * o * block + block + k];
      EXPECT_TRUE(testing::same_float(first, ref::relu(xi))) << xi;
      EXPECT_TRUE(testing::same_float(second, ref::relu(-xi))) << xi;
      const float d1 = dy[2 * o * block + k], d2 = dy[2 * o * block + block + k];
      const float want = ref::backward(Activation(), xi, d1) - ref::backward(Activation(), -xi, d2);
      EXPECT_TRUE(testing::same_float(dx[o * block + k], want)) << xi;
    }
  }
  EXPECT_THROW(crelu_forward(x, layout, std::span(y).first(x.size())), std::invalid_argument);
}

TEST(Crelu, PlainForwardIsTheWholeSpanAsOneChannelBlock) {
  const std::vector<float> x = {-2, -0.0f, 3};
  std::vector<float> y(6);
  forward(Activation::parse("crelu"), x, y);
  EXPECT_EQ(y, (std::vector<float>{0, -0.0f, 3, 2, 0, 0}));
}

}  // namespace
}  // namespace rectify
