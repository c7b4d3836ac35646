// tanh(x): the hyperbolic tangent, for comparison; zero-centred, saturates on both sides.
#ifndef RECTIFY_ACT_FUNCTIONS_TANH_HPP_
#define RECTIFY_ACT_FUNCTIONS_TANH_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct tanh : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return std::tanh(x);
  }
  // 1 - t^2 = 4 q / (1 + q)^2, q = exp(-2 |x|): 1 - t^2 cancels in the tails.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    return dy * ref::sigmoid_slope(T(2) * x) * T(4);
  }
  template <class T>
  static T backward_from_output(const Activation&, T y, T dy) {
    return dy * (T(1) - y * y);
  }

  static constexpr FunctionInfo info{
      .fn = Fn::tanh,
      .name = "tanh",
      .formula = "tanh(x)",
      .derivative = "1 - tanh(x)^2",
      .max_ulp_forward = 4,
      .max_ulp_backward = 4,
      .default_init = Init::glorot_uniform,
      .backward_from_output = always,
      .peers = {.torch = "torch.tanh(x)", .onednn = "eltwise_tanh"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_TANH_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_TANH_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_TANH_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_TANH_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_TANH_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// tanh(x) = 2 tanh(x/2) / (1 + tanh(x/2)^2): the error of the half-angle value reaches the
// result damped by sech(x), so a rational of degree 2/2 is enough where tanh nears 1, and near
// 0 the last roundings make the error. u = 2 tanh(x/2) = x (1 + t R(t)), t = x^2, R = P / Q
// minimax for that damped error on [0, 9.5] (scripts/fit_tanh.py); tanh = 4u / (4 + u^2).
// x is clamped to +-9.5 (tanh rounds to 1 from 9.011); the sign, -0.0, subnormals
// (x (1 + 0) = x) and NaN pass through the arithmetic, so no select is needed. Over every
// float (bench/forward_accuracy --stride 1): 2.84 ULP with FMA, 2.88 without. Two divisions,
// but half the dependent latency of expm1 and a division, and 1.07-1.24x Eigen's one-division
// 6/3 rational (4.26 ULP; bench/compare).
template <>
struct Body<Fn::tanh> {
  Body(D, const detail::Coefficients&) {}
  V Forward(D d, V x) const {
    const V xc = ClampMagnitudeKeepNaN(d, x, 9.5f);
    const V t = hn::Mul(xc, xc);
    V p = hn::MulAdd(hn::Set(d, -0x1.1f1f6ap-24f), t, hn::Set(d, -0x1.fcdfd8p-11f));
    p = hn::MulAdd(p, t, hn::Set(d, -0x1.55554p-4f));
    V q = hn::MulAdd(hn::Set(d, 0x1.126162p-10f), t, hn::Set(d, 0x1.c94d8ap-4f));
    q = hn::MulAdd(q, t, hn::Set(d, 1.0f));
    const V u = hn::Mul(xc, hn::MulAdd(t, hn::Div(p, q), hn::Set(d, 1.0f)));
    const V four = hn::Set(d, 4.0f);
    return hn::Div(hn::Mul(u, four), hn::MulAdd(u, u, four));
  }
  // 1 - tanh(x)^2 = 4 sigmoid'(2x): 1 - t^2 from a rounded t would cancel where |t| nears 1.
  V Backward(D d, V x, V dy) const {
    return hn::Mul(dy, hn::Mul(SigmoidSlope(d, hn::Add(x, x)), hn::Set(d, 4.0f)));
  }
  static constexpr bool kLaneWiseFromOutput = true;  // arithmetic on y and dy alone
  V BackwardOutput(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Sub(hn::Set(d, 1.0f), hn::Mul(y, y)));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
