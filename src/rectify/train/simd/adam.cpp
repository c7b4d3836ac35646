// Adam's update (adam.hpp), compiled once per SIMD target and picked at run time, as the kernels
// are (act/simd/dispatch.cpp). Every operation is the IEEE one the scalar formula writes, in its
// order, with no fused multiply-add (-ffp-contract=off): the bits are the same on every target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/train/simd/adam.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>

#include "hwy/highway.h"
#include "rectify/train/simd/adam.hpp"

HWY_BEFORE_NAMESPACE();
namespace rectify::train {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lanes(d) elements from index j; non_finite collects the bits of w - w (+0 for a finite w).
template <bool kDecoupled, class D, class VU>
HWY_INLINE void AdamLanes(D d, const AdamUpdate& u, float* HWY_RESTRICT w,
                          const float* HWY_RESTRICT g, float* HWY_RESTRICT m, float* HWY_RESTRICT v,
                          std::size_t j, VU& non_finite) {
  const hn::RebindToUnsigned<D> du;
  auto wj = hn::LoadU(d, w + j);
  auto grad = hn::LoadU(d, g + j);
  if constexpr (kDecoupled) {
    wj = hn::Sub(wj, hn::Mul(hn::Set(d, u.lr * u.wd), wj));  // w -= lr * wd * w
  } else {
    grad = hn::Add(grad, hn::Mul(hn::Set(d, u.wd), wj));  // g += wd * w
  }
  // m = b1 * m + (1 - b1) * g
  const auto mj =
      hn::Add(hn::Mul(hn::Set(d, u.b1), hn::LoadU(d, m + j)), hn::Mul(hn::Set(d, 1 - u.b1), grad));
  // v = b2 * v + (1 - b2) * g * g
  const auto vj = hn::Add(hn::Mul(hn::Set(d, u.b2), hn::LoadU(d, v + j)),
                          hn::Mul(hn::Mul(hn::Set(d, 1 - u.b2), grad), grad));
  // w -= step * m / (sqrt(v) / root_c2 + eps)
  const auto denominator = hn::Add(hn::Div(hn::Sqrt(vj), hn::Set(d, u.root_c2)), hn::Set(d, u.eps));
  wj = hn::Sub(wj, hn::Div(hn::Mul(hn::Set(d, u.step), mj), denominator));
  hn::StoreU(mj, d, m + j);
  hn::StoreU(vj, d, v + j);
  hn::StoreU(wj, d, w + j);
  non_finite = hn::Or(non_finite, hn::BitCast(du, hn::Sub(wj, wj)));
}

// Whole vectors, then the tail one lane at a time through the same body. `u` is a copy, so that
// the stores cannot alias it and its broadcasts stay out of the loop.
template <bool kDecoupled>
bool AdamLoop(const AdamUpdate u, float* HWY_RESTRICT w, const float* HWY_RESTRICT g,
              float* HWY_RESTRICT m, float* HWY_RESTRICT v, std::size_t n) {
  const hn::ScalableTag<float> d;
  const hn::RebindToUnsigned<decltype(d)> du;
  const hn::CappedTag<float, 1> d1;
  const hn::RebindToUnsigned<decltype(d1)> du1;
  const std::size_t lanes = hn::Lanes(d);
  auto non_finite = hn::Zero(du);
  auto non_finite1 = hn::Zero(du1);
  std::size_t j = 0;
  for (; j + lanes <= n; j += lanes) AdamLanes<kDecoupled>(d, u, w, g, m, v, j, non_finite);
  for (; j < n; ++j) AdamLanes<kDecoupled>(d1, u, w, g, m, v, j, non_finite1);
  return hn::AllTrue(du, hn::Eq(non_finite, hn::Zero(du))) &&
         hn::AllTrue(du1, hn::Eq(non_finite1, hn::Zero(du1)));
}

bool AdamUpdateKernel(const AdamUpdate& u, float* HWY_RESTRICT w, const float* HWY_RESTRICT g,
                      float* HWY_RESTRICT m, float* HWY_RESTRICT v, std::size_t n) {
  return u.decoupled ? AdamLoop<true>(u, w, g, m, v, n) : AdamLoop<false>(u, w, g, m, v, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify::train
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rectify::train {
HWY_EXPORT(AdamUpdateKernel);

bool adam_update(const AdamUpdate& u, float* w, const float* g, float* m, float* v, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(AdamUpdateKernel)(u, w, g, m, v, n);
}
}  // namespace rectify::train
#endif  // HWY_ONCE
