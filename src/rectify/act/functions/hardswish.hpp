// hardswish(x) = x relu6(x + 3) / 6 (Howard et al. 2019, MobileNetV3): silu's shape from a
// multiply and a clamp, PyTorch's F.hardswish. Exact: the same float operations as PyTorch.
#ifndef RECTIFY_ACT_FUNCTIONS_HARDSWISH_HPP_
#define RECTIFY_ACT_FUNCTIONS_HARDSWISH_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct hardswish : Definition {
  // x * clamp(x + 3, 0, 6) / 6 in this order, as PyTorch: NaN gives NaN, -inf gives -inf * 0 = NaN.
  template <class T>
  static T forward(const Activation&, T x) {
    const T c = x + T(3);
    return x * (c < T(0) ? T(0) : (c > T(6) ? T(6) : c)) / T(6);
  }
  // 0 below -3, dy above 3, dy (x / 3 + 1/2) between (also at -3 and 3, and for NaN: NaN), as
  // PyTorch's vectorized kernel.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    if (x < T(-3)) return T(0);
    if (x > T(3)) return dy;
    return dy * (x / T(3) + T(0.5));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::hardswish,
      .name = "hardswish",
      .formula = "x * min(max(x + 3, 0), 6) / 6",
      .derivative = "x < -3 ? 0 : x > 3 ? 1 : x / 3 + 1/2",
      .exact = true,
      .kinks =
          [](const Activation&) {
            return std::vector<double>{-3.0, 3.0};
          },
      // PyTorch 1.13's scalar path (the last elements of a tensor) gives dy at NaN, its
      // vectorized path NaN; rectify gives NaN.
      .peers = {.torch = "F.hardswish(x)",
                .torch_differs = "pass_ == 'backward' and math.isnan(x)",
                .onednn = "eltwise_hardswish"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_HARDSWISH_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_HARDSWISH_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_HARDSWISH_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_HARDSWISH_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_HARDSWISH_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::hardswish> {
  static constexpr bool kLaneWise = true;
  V three, six;
  Body(D d, const detail::Coefficients&) : three(hn::Set(d, 3.0f)), six(hn::Set(d, 6.0f)) {}
  V Forward(D d, V x) const {
    const V c = hn::Add(x, three);
    const V clamped = hn::IfThenZeroElse(c < hn::Zero(d), hn::IfThenElse(c > six, six, c));
    return hn::Div(hn::Mul(x, clamped), six);
  }
  V Backward(D d, V x, V dy) const {
    const V between = hn::Mul(dy, hn::Add(hn::Div(x, three), hn::Set(d, 0.5f)));
    return hn::IfThenZeroElse(x < hn::Neg(three), hn::IfThenElse(x > three, dy, between));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
