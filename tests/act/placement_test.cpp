// The kernels pick their loop from where the buffers sit: the direction from the distances
// between inputs and output modulo 4 KiB, the first aligned store from the output's address.
// Whatever they pick, every element is computed once and the same: the output is bit for bit
// the one computed at a plain placement, for every output offset in a page, both sides of each
// input, on every SIMD target, forward and backward, at sizes with and without partial pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "rectify/act/crelu.hpp"
#include "rectify/act/prelu.hpp"
#include "test_support.hpp"

namespace rectify {
namespace {

using testing::describe;
using testing::same_float;

constexpr std::size_t kPageFloats = 1024;

// Floats from a page boundary, so that offsets in floats are offsets in a 4 KiB page.
struct PageBuffer {
  std::vector<float> storage;
  float* base;
  explicit PageBuffer(std::size_t n) : storage(n + 2 * kPageFloats) {
    const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
    base = storage.data() + (4096 - address % 4096) % 4096 / sizeof(float);
  }
};

void expect_same(std::span<const float> got, std::span<const float> want, const std::string& what) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (!same_float(got[i], want[i])) {
      ADD_FAILURE() << what << " at index " << i << " of " << want.size() << ": expected "
                    << describe(want[i]) << ", got " << describe(got[i]);
      return;
    }
  }
}

class Placement : public ::testing::TestWithParam<Activation> {};

TEST_P(Placement, OutputIsTheSameAtEveryOffsetFromTheInputs) {
  const Activation a = GetParam();
  testing::for_each_target([&](const std::string&) {
    for (const std::size_t n : {std::size_t{1}, std::size_t{37}, std::size_t{300},
                                std::size_t{1000}, std::size_t{4099}}) {
      // x at the start of a page, dy half a page further; the output at offsets that put it
      // just before, on and just after each of them, and between.
      PageBuffer xb(n), dyb(n + kPageFloats / 2), ob(n + kPageFloats);
      const std::span<float> x(xb.base, n), dy(dyb.base + kPageFloats / 2, n);
      const auto xv = testing::random_values(n, static_cast<std::uint32_t>(n), 4.0f);
      const auto dyv = testing::random_values(n, static_cast<std::uint32_t>(n + 3), 2.0f);
      std::copy(xv.begin(), xv.end(), x.begin());
      std::copy(dyv.begin(), dyv.end(), dy.begin());
      std::vector<float> y_want(n), dx_want(n);
      forward(a, x, y_want);
      backward(a, x, dy, dx_want);
      std::vector<float> dy_want_from_y(n);
      if (a.has_backward_from_output()) backward_from_output(a, y_want, dy, dy_want_from_y);
      std::vector<std::uint8_t> mask(mask_bytes(n));
      std::vector<float> y_with_mask(n);
      if (a.has_mask()) forward_with_mask(a, x, y_with_mask, mask);
      for (const std::size_t off : {0,   1,   3,   4,   8,   16,  17,   64,   100,  256,
                                    500, 511, 512, 513, 520, 700, 1000, 1008, 1020, 1023}) {
        SCOPED_TRACE("n = " + std::to_string(n) + ", output offset = " + std::to_string(off));
        const std::span<float> out(ob.base + off, n);
        forward(a, x, out);
        expect_same(out, y_want, "forward");
        backward(a, x, dy, out);
        expect_same(out, dx_want, "backward");
        if (a.has_backward_from_output()) {
          backward_from_output(a, y_want, dy, out);
          expect_same(out, dy_want_from_y, "backward from the output");
        }
        if (a.has_mask()) {
          std::vector<std::uint8_t> placed_mask(mask.size());
          forward_with_mask(a, x, out, placed_mask);
          expect_same(out, y_want, "forward with mask");
          EXPECT_EQ(placed_mask, mask);
          backward_from_mask(a, mask, dy, out);
          expect_same(out, dx_want, "backward from the mask");
        }
      }
      // In place: the output is the input.
      std::vector<float> in_place(xv);
      forward(a, in_place, in_place);
      expect_same(in_place, y_want, "forward in place");
    }
  });
}

// The channel kernels: crelu writes two halves (both placed by the output's offset), prelu runs
// one call per channel, each with its own misaligned head and tail.
TEST(PlacementOfChannelKernels, OutputIsTheSameAtEveryOffset) {
  testing::for_each_target([&](const std::string&) {
    for (const ChannelLayout layout : {ChannelLayout{1, 1, 37}, ChannelLayout{1, 1, 4099},
                                       ChannelLayout{2, 3, 50}, ChannelLayout{1, 5, 203}}) {
      const std::size_t n = layout.size();
      PageBuffer xb(n), ob(2 * n + kPageFloats);
      const std::span<float> x(xb.base, n);
      const auto xv = testing::random_values(n, static_cast<std::uint32_t>(n), 4.0f);
      std::copy(xv.begin(), xv.end(), x.begin());
      std::vector<float> slopes(layout.channels);
      for (std::size_t c = 0; c < slopes.size(); ++c) slopes[c] = 0.1f * static_cast<float>(c + 1);
      // The backward passes' dy: twice x's size for crelu, x's size for prelu.
      PageBuffer dyb(2 * n);
      const std::span<float> dy(dyb.base, 2 * n);
      const auto dyv = testing::random_values(2 * n, static_cast<std::uint32_t>(n + 1), 2.0f);
      std::copy(dyv.begin(), dyv.end(), dy.begin());
      std::vector<float> crelu_want(2 * n), prelu_want(n), crelu_dx(n), prelu_dx(n),
          dslopes_want(layout.channels), dslopes(layout.channels);
      crelu_forward(x, layout, crelu_want);
      prelu_forward(x, slopes, layout, prelu_want);
      crelu_backward(x, dy, layout, crelu_dx);
      prelu_backward(x, slopes, dy.first(n), layout, prelu_dx, dslopes_want);
      for (const std::size_t off : {0, 1, 3, 4, 5, 16, 17, 511, 512, 1020, 1023}) {
        SCOPED_TRACE("n = " + std::to_string(n) + ", output offset = " + std::to_string(off));
        crelu_forward(x, layout, std::span<float>(ob.base + off, 2 * n));
        expect_same(std::span<const float>(ob.base + off, 2 * n), crelu_want, "crelu forward");
        prelu_forward(x, slopes, layout, std::span<float>(ob.base + off, n));
        expect_same(std::span<const float>(ob.base + off, n), prelu_want, "prelu forward");
        crelu_backward(x, dy, layout, std::span<float>(ob.base + off, n));
        expect_same(std::span<const float>(ob.base + off, n), crelu_dx, "crelu backward");
        prelu_backward(x, slopes, dy.first(n), layout, std::span<float>(ob.base + off, n), dslopes);
        expect_same(std::span<const float>(ob.base + off, n), prelu_dx, "prelu backward dx");
        expect_same(dslopes, dslopes_want, "prelu backward dslopes");
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Functions, Placement,
                         ::testing::Values(Activation::parse("relu"),
                                           Activation::parse("leaky_relu:0.2"),
                                           Activation::parse("relu6"), Activation::parse("elu"),
                                           Activation::parse("tanh"),
                                           Activation::parse("gelu_erf")),
                         testing::case_name);

}  // namespace
}  // namespace rectify
