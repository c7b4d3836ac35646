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

// tanh(x) = sign(x) e / (e + 2) with e = expm1(2 |x|): no cancellation near 0 (e ~ 2|x|), and
// e / (e + 2) rounds to 1 where tanh does. |x| is clamped at 10, where tanh is 1 in float.
template <>
struct Body<Fn::tanh> {
  Body(D, const detail::Coefficients&) {}
  V Forward(D d, V x) const {
    const V ax = hn::Min(hn::Abs(x), hn::Set(d, 10.0f));
    const V e = FastExpm1(d, hn::Add(ax, ax));
    const V t = hn::Div(e, hn::Add(e, hn::Set(d, 2.0f)));
    const V r = hn::CopySignToAbs(t, x);
    return hn::IfThenElse(hn::IsNaN(x), x, r);
  }
  // 1 - tanh(x)^2 = 4 sigmoid'(2x): 1 - t^2 from a rounded t would cancel where |t| nears 1.
  V Backward(D d, V x, V dy) const {
    return hn::Mul(dy, hn::Mul(SigmoidSlope(d, hn::Add(x, x)), hn::Set(d, 4.0f)));
  }
  V BackwardOutput(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Sub(hn::Set(d, 1.0f), hn::Mul(y, y)));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
