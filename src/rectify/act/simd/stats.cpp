// value_stats (stats.hpp), compiled once per SIMD target and dispatched at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/act/simd/stats.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "rectify/act/stats.hpp"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void ValueStatsKernel(const float* HWY_RESTRICT x, std::size_t n, ValueStats* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t kRun = 1024;  // float partial sums over at most this many elements
  const auto zero = hn::Zero(d);
  ValueStats s;
  s.count = n;
  std::size_t i = 0;
  while (i < n) {
    const std::size_t end = std::min(n, i + kRun);
    // Two vectors a round, each with its own sums and count of zeros (a true lane is -1), so
    // that no addition waits for the one before it: the probes run this on every layer's
    // output and gradient in every step.
    auto sum0 = zero, sum1 = zero, sq0 = zero, sq1 = zero;
    auto zeros0 = hn::Zero(di), zeros1 = hn::Zero(di);
    const auto count_zeros = [&](auto counts, auto v) {
      return hn::Sub(counts, hn::VecFromMask(di, hn::RebindMask(di, hn::Eq(v, zero))));
    };
    for (; i + 2 * lanes <= end; i += 2 * lanes) {
      const auto v0 = hn::LoadU(d, x + i), v1 = hn::LoadU(d, x + i + lanes);
      sum0 = hn::Add(sum0, v0);
      sum1 = hn::Add(sum1, v1);
      sq0 = hn::MulAdd(v0, v0, sq0);
      sq1 = hn::MulAdd(v1, v1, sq1);
      zeros0 = count_zeros(zeros0, v0);
      zeros1 = count_zeros(zeros1, v1);
    }
    for (; i + lanes <= end; i += lanes) {
      const auto v = hn::LoadU(d, x + i);
      sum0 = hn::Add(sum0, v);
      sq0 = hn::MulAdd(v, v, sq0);
      zeros0 = count_zeros(zeros0, v);
    }
    double tail = 0, tail_sq = 0;
    for (; i < end; ++i) {
      tail += x[i];
      tail_sq += double(x[i]) * x[i];
      s.zeros += x[i] == 0.0f;
    }
    s.zeros += static_cast<std::uint64_t>(hn::GetLane(hn::SumOfLanes(di, hn::Add(zeros0, zeros1))));
    s.sum += double(hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)))) + tail;
    s.sum_sq += double(hn::GetLane(hn::SumOfLanes(d, hn::Add(sq0, sq1)))) + tail_sq;
  }
  *out = s;
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rectify {
HWY_EXPORT(ValueStatsKernel);

ValueStats value_stats(std::span<const float> x) {
  ValueStats s;
  if (!x.empty()) HWY_DYNAMIC_DISPATCH(ValueStatsKernel)(x.data(), x.size(), &s);
  return s;
}

}  // namespace rectify
#endif  // HWY_ONCE
