// relu6(x) = min(max(0, x), 6) (Krizhevsky 2010; MobileNet): bounded, so it stays exact in low
// precision.
#ifndef RECTIFY_ACT_FUNCTIONS_RELU6_HPP_
#define RECTIFY_ACT_FUNCTIONS_RELU6_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct relu6 : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return x < T(0) ? T(0) : (x > T(6) ? T(6) : x);
  }
  // relu6'(0) = relu6'(6) = 0, as PyTorch.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    return (x <= T(0) || x >= T(6)) ? T(0) : dy;
  }
  template <class T>
  static T backward_from_output(const Activation& a, T y, T dy) {
    return backward(a, y, dy);
  }
  template <class T>
  static bool mask_bit(const Activation&, T x) {
    return !(x <= T(0) || x >= T(6));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::relu6,
      .name = "relu6",
      .formula = "min(max(0, x), 6)",
      .derivative = "0 < x < 6 ? 1 : 0",
      .exact = true,
      .backward_from_output = always,
      .mask = always,
      .kinks =
          [](const Activation&) {
            return std::vector<double>{0.0, 6.0};
          },
      // PyTorch 1.13 is inconsistent at NaN: its vectorized hardtanh_backward gives 0, its
      // scalar path dy; rectify passes dy as relu does (and as the 1-bit mask must).
      .peers = {.torch = "F.relu6(x)",
                .torch_differs = "pass_ == 'backward' and math.isnan(x)",
                .onednn = "eltwise_clip_v2",
                .onednn_beta = "6"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_RELU6_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_RELU6_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_RELU6_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_RELU6_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_RELU6_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::relu6> {
  static constexpr bool kLaneWise = true;
  V six;
  Body(D d, const detail::Coefficients&) : six(hn::Set(d, 6.0f)) {}
  V Forward(D d, V x) const {
    if constexpr (kMinMaxPassSecondNaN) {
      // MINPS(6, MAXPS(0, x)): two instructions; each returns x where x is NaN or a zero.
      return hn::Min(six, MaxZeroKeepNaN(d, x));
    } else {
      return hn::IfThenZeroElse(x < hn::Zero(d), hn::IfThenElse(x > six, six, x));
    }
  }
  M Pass(D d, V x) const { return hn::Not(hn::Or(x <= hn::Zero(d), x >= six)); }
  V Backward(D d, V x, V dy) const {
    return hn::IfThenZeroElse(hn::Or(x <= hn::Zero(d), x >= six), dy);
  }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
