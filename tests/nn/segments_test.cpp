// Conv2d's row copies and its fold (nn/simd/segments.cpp) against the scalar loops they replace, on
// every SIMD target this CPU runs: segment lengths around every vector width, strides from tight to
// wide, counts 0 to many. Each side lives in a vector of exactly the span the contract allows, so
// that a read or write past it is caught (AddressSanitizer), and the elements outside the segments
// are checked untouched where the contract says so, -0 included.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rectify/nn/simd/segments.hpp"
#include "test_support.hpp"

namespace rectify::nn {
namespace {

struct SegmentCase {
  std::size_t count, n, src_stride, dst_stride;
};

std::vector<SegmentCase> cases() {
  std::vector<SegmentCase> all;
  for (const std::size_t count : {0, 1, 2, 3, 11, 26}) {
    for (std::size_t n = 1; n <= 35; ++n) {
      for (const std::size_t extra : {0, 1, 2, 5, 17}) {
        all.push_back({count, n, n + extra, n + (extra + 1) % 4});
      }
    }
  }
  return all;
}

// The floats [p, p + (count - 1) stride + n) that the contract lets a side touch.
std::size_t span(std::size_t count, std::size_t n, std::size_t stride) {
  return count == 0 ? 0 : (count - 1) * stride + n;
}

std::vector<float> random_floats(std::size_t size, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(size);
  for (float& x : v) x = normal(rng);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(Segments, CopyIsTheScalarLoopOnEveryTarget) {
  testing::for_each_target([](const std::string&) {
    std::mt19937 rng(3);
    for (const auto& c : cases()) {
      SCOPED_TRACE(
          fmt::format("count {} n {} strides {} {}", c.count, c.n, c.src_stride, c.dst_stride));
      const auto src = random_floats(span(c.count, c.n, c.src_stride), rng);
      std::vector<float> dst(span(c.count, c.n, c.dst_stride), -7.0f);
      copy_segments(src.data(), c.src_stride, c.count, c.n, dst.data(), c.dst_stride);
      for (std::size_t i = 0; i < c.count; ++i) {
        for (std::size_t j = 0; j < c.n; ++j) {
          ASSERT_TRUE(same_bits(dst[i * c.dst_stride + j], src[i * c.src_stride + j]))
              << "segment " << i << " element " << j;
        }
      }
    }
  });
}

TEST(Segments, AddIsTheScalarLoopAndLeavesTheGapsAloneOnEveryTarget) {
  testing::for_each_target([](const std::string&) {
    std::mt19937 rng(5);
    for (const auto& c : cases()) {
      SCOPED_TRACE(
          fmt::format("count {} n {} strides {} {}", c.count, c.n, c.src_stride, c.dst_stride));
      const auto src = random_floats(span(c.count, c.n, c.src_stride), rng);
      // The gaps hold -0, NaN and infinities: a lane stored back as "old + 0" would change -0.
      auto dst = random_floats(span(c.count, c.n, c.dst_stride), rng);
      for (std::size_t i = 0; i < dst.size(); i += 3) dst[i] = -0.0f;
      for (std::size_t i = 1; i < dst.size(); i += 7) dst[i] = std::nanf("");
      for (std::size_t i = 2; i < dst.size(); i += 11) dst[i] = -INFINITY;
      auto want = dst;
      for (std::size_t i = 0; i < c.count; ++i) {
        for (std::size_t j = 0; j < c.n; ++j) {
          want[i * c.dst_stride + j] += src[i * c.src_stride + j];
        }
      }
      add_segments(src.data(), c.src_stride, c.count, c.n, dst.data(), c.dst_stride);
      for (std::size_t k = 0; k < dst.size(); ++k) {
        ASSERT_TRUE(same_bits(dst[k], want[k]) || (std::isnan(dst[k]) && std::isnan(want[k])))
            << "element " << k << ": " << dst[k] << ", want " << want[k];
      }
    }
  });
}

// fold_channel against its definition: zeros, then each unfolded row added back in (ki, kj)
// order with add_segments' scalar equivalent, bit for bit; with no slack past the rows (the last
// vectors must not read past them) and with a vector's slack; -0 among the terms.
TEST(Segments, FoldIsZerosPlusTheRowsInOrderOnEveryTarget) {
  testing::for_each_target([](const std::string&) {
    std::mt19937 rng(9);
    for (const std::size_t k : {1, 2, 3, 5}) {
      for (const std::size_t h : {k, k + 1, k + 4, std::size_t{13}}) {
        for (const std::size_t w :
             {k, k + 2, std::size_t{13}, std::size_t{17}, std::size_t{28}, std::size_t{40}}) {
          if (h < k || w < k) continue;
          const std::size_t oh = h - k + 1, ow = w - k + 1, positions = oh * ow;
          for (const std::size_t slack : {0, 16}) {
            SCOPED_TRACE(fmt::format("k {} h {} w {} slack {}", k, h, w, slack));
            auto rows = random_floats(k * k * positions + slack, rng);
            for (std::size_t i = 0; i < rows.size(); i += 5) rows[i] = -0.0f;
            std::vector<float> want(h * w, 0.0f);
            for (std::size_t ki = 0; ki < k; ++ki) {
              for (std::size_t kj = 0; kj < k; ++kj) {
                for (std::size_t oy = 0; oy < oh; ++oy) {
                  for (std::size_t ox = 0; ox < ow; ++ox) {
                    want[(oy + ki) * w + ox + kj] += rows[(ki * k + kj) * positions + oy * ow + ox];
                  }
                }
              }
            }
            std::vector<float> plane(h * w, -7.0f);
            fold_channel(rows.data(), k, h, w, rows.data() + rows.size(), plane.data());
            for (std::size_t i = 0; i < plane.size(); ++i) {
              ASSERT_TRUE(same_bits(plane[i], want[i]))
                  << "element " << i << ": " << plane[i] << ", want " << want[i];
            }
          }
        }
      }
    }
  });
}

}  // namespace
}  // namespace rectify::nn
