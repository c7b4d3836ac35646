// A forward pass's error as rectify's ULP tests measure rectify: every stride-th float bit
// pattern that is finite and below 1e4 in magnitude, in chunks, against rectify's scalar
// reference in double; one ULP is the spacing of floats at the reference rounded to float, and
// results below 2^-100 in magnitude are left out, as in the contract rectify documents for
// itself. Shared by bench/forward_accuracy (rectify) and the peers' accuracy checks.
#ifndef RECTIFY_BENCH_PEERS_ACCURACY_REPORT_HPP_
#define RECTIFY_BENCH_PEERS_ACCURACY_REPORT_HPP_

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rectify/act/activation.hpp"
#include "rectify/act/reference.hpp"

namespace bench {

struct AccuracyReport {
  double worst = 0, worst_abs = 0;
  float worst_x = 0;
  long off = 0, counted = 0;  // off: results more than 4 ULP away

  // One line: "<who> <fn>: worst ... ULP at x = ..., ...".
  void print(const std::string& who, const std::string& fn) const {
    std::printf(
        "%s %s: worst %.3g ULP at x = %.9g, largest absolute error %.3g, %ld of %ld results "
        "off by more than 4 ULP\n",
        who.c_str(), fn.c_str(), worst, static_cast<double>(worst_x), worst_abs, off, counted);
    std::fflush(stdout);
  }
};

// forward(x, y) computes y for the chunk x (y already has x's size).
template <class Forward>
AccuracyReport measure_forward(const rectify::Activation& a, std::uint64_t stride,
                               const Forward& forward) {
  constexpr std::uint64_t kPatterns = std::uint64_t{1} << 32, kChunk = std::uint64_t{1} << 24;
  AccuracyReport r;
  std::vector<float> x, y;
  std::uint64_t b = 0;
  while (b < kPatterns) {
    x.clear();
    for (; b < kPatterns && x.size() < kChunk; b += stride) {
      const float v = std::bit_cast<float>(static_cast<std::uint32_t>(b));
      if (std::isfinite(v) && std::fabs(v) < 1e4f) x.push_back(v);
    }
    if (x.empty()) break;  // only NaN, inf and |x| >= 1e4 were left
    y.resize(x.size());
    forward(x, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = rectify::ref::forward(a, static_cast<double>(x[i]));
      if (std::fabs(want) < 0x1p-100) continue;
      ++r.counted;
      int exponent = 0;
      std::frexp(static_cast<float>(want), &exponent);
      const double ulp = std::ldexp(1.0, std::max(exponent - 24, -149));
      const double abs_err = std::fabs(static_cast<double>(y[i]) - want);
      const double err = abs_err / ulp;
      if (err > 4) ++r.off;
      if (err > r.worst) r.worst = err, r.worst_x = x[i];
      r.worst_abs = std::max(r.worst_abs, abs_err);
    }
  }
  return r;
}

}  // namespace bench

#endif  // RECTIFY_BENCH_PEERS_ACCURACY_REPORT_HPP_
