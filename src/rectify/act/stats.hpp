// Summary statistics of a span of activations: count, exact zeros, sum and sum of squares, in
// one SIMD pass. The diagnostics call it on each block right after the activation kernel wrote
// it, while the block is still in cache.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace rectify {

struct ValueStats {
  std::uint64_t count = 0;
  std::uint64_t zeros = 0;  // elements equal to 0 (+0 or -0)
  double sum = 0, sum_sq = 0;

  ValueStats& operator+=(const ValueStats& o) {
    count += o.count;
    zeros += o.zeros;
    sum += o.sum;
    sum_sq += o.sum_sq;
    return *this;
  }
  double mean() const { return count ? sum / static_cast<double>(count) : 0.0; }
  double stddev() const {
    if (count == 0) return 0.0;
    const double m = mean();
    const double var = sum_sq / static_cast<double>(count) - m * m;
    return var > 0 ? std::sqrt(var) : 0.0;  // rounding may leave a tiny negative variance
  }
  double zero_fraction() const {
    return count ? static_cast<double>(zeros) / static_cast<double>(count) : 0.0;
  }
};

// Partial sums are kept in float over runs of 1024 elements and in double across runs, so the
// result is accurate to a few float ULPs of each run's sum. A NaN makes sum and sum_sq NaN.
ValueStats value_stats(std::span<const float> x);

}  // namespace rectify
