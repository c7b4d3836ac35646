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
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t kRun = 1024;  // float partial sums over at most this many elements
  const auto zero = hn::Zero(d);
  ValueStats s;
  s.count = n;
  std::size_t i = 0;
  while (i < n) {
    const std::size_t end = std::min(n, i + kRun);
    auto sum = zero, sum_sq = zero;
    for (; i + lanes <= end; i += lanes) {
      const auto v = hn::LoadU(d, x + i);
      sum = hn::Add(sum, v);
      sum_sq = hn::MulAdd(v, v, sum_sq);
      s.zeros += hn::CountTrue(d, hn::Eq(v, zero));
    }
    double tail = 0, tail_sq = 0;
    for (; i < end; ++i) {
      tail += x[i];
      tail_sq += double(x[i]) * x[i];
      s.zeros += x[i] == 0.0f;
    }
    s.sum += double(hn::GetLane(hn::SumOfLanes(d, sum))) + tail;
    s.sum_sq += double(hn::GetLane(hn::SumOfLanes(d, sum_sq))) + tail_sq;
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
