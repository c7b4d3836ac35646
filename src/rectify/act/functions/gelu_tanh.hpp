// gelu_tanh(x) = x / 2 (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): GELU's tanh approximation,
// PyTorch's F.gelu(x, approximate='tanh').
#ifndef RECTIFY_ACT_FUNCTIONS_GELU_TANH_HPP_
#define RECTIFY_ACT_FUNCTIONS_GELU_TANH_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct gelu_tanh : Definition {
  template <class T>
  static T inner(T x) {  // 2u where u = sqrt(2/pi) (x + 0.044715 x^3)
    return T(2) * T(ref::kSqrt2OverPi) * (x + T(ref::kGeluTanhCubic) * x * x * x);
  }
  template <class T>
  static T forward(const Activation&, T x) {
    return x * ref::sigmoid(inner(x));
  }
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    const T s = ref::sigmoid(inner(x));
    const T inner_dx = T(2) * T(ref::kSqrt2OverPi) * (T(1) + T(3 * ref::kGeluTanhCubic) * x * x);
    return dy * (s + x * inner_dx * s * (T(1) - s));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::gelu_tanh,
      .name = "gelu_tanh",
      .formula = "x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))",
      .derivative = "d/dx of f(x)",
      .max_ulp_forward = 4,
      .max_ulp_backward = 8,
      .root_window = 0.75,
      // PyTorch's backward computes x^3 and overflows to NaN above ~1e13; rectify gives the
      // limits 1 and 0.
      .peers = {.torch = "F.gelu(x, approximate='tanh')",
                .torch_differs = "pass_ == 'backward' and abs(x) > 1e13",
                .onednn = "eltwise_gelu_tanh"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_GELU_TANH_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_GELU_TANH_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_GELU_TANH_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_GELU_TANH_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_GELU_TANH_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// x sigmoid(2u), 2u = x (c1 + c3 x^2): the same as x / 2 (1 + tanh(u)) without the cancellation.
// 2u is carried as t + t_lo: an error in it is multiplied by |2u| in the tail.
template <>
struct Body<Fn::gelu_tanh> {
  static constexpr Split kC1 = split(2 * ref::kSqrt2OverPi);
  static constexpr Split kC3 = split(2 * ref::kSqrt2OverPi * ref::kGeluTanhCubic);
  Body(D, const detail::Coefficients&) {}
  // 2u = t + t_lo for the clamped x.
  struct Arg {
    V t, t_lo;
  };
  Arg Argument(D d, V xc) const {
    const V c1 = hn::Set(d, kC1.hi), c3 = hn::Set(d, kC3.hi);
    const V x2 = hn::Mul(xc, xc);
    const V x2_lo = ProductError(d, xc, xc, x2);
    const V q = hn::Mul(c3, x2);
    const V q_lo =
        hn::MulAdd(hn::Set(d, kC3.lo), x2, hn::MulAdd(c3, x2_lo, ProductError(d, c3, x2, q)));
    const V p = hn::Add(c1, q);
    const V bb = hn::Sub(p, c1);
    const V p_err = hn::Add(hn::Sub(c1, hn::Sub(p, bb)), hn::Sub(q, bb));  // TwoSum
    const V p_lo = hn::Add(hn::Add(p_err, q_lo), hn::Set(d, kC1.lo));
    const V t = hn::Mul(xc, p);
    return {t, hn::MulAdd(xc, p_lo, ProductError(d, xc, p, t))};
  }
  SigmoidParts Gate(D d, V x) const {
    const Arg a = Argument(d, ClampMagnitude(d, x, 20.0f));
    return SigmoidOf(d, hn::IfThenElse(hn::IsNaN(x), x, a.t), a.t_lo);
  }
  // x / (1 + exp(-t) (1 - t_lo)): exp(-t_lo) = 1 - t_lo in float. Below x = -9, 2u < -80 and
  // exp(-t) heads for overflow while x sigmoid(2u) is still above FLT_MIN: such vectors take Gate,
  // whose exp(-|t|) keeps them. NaN: the clamp drops it, and x * s brings it back.
  V Forward(D d, V x) const {
    if (HWY_UNLIKELY(!hn::AllFalse(d, x < hn::Set(d, -9.0f)))) {
      return hn::Mul(x, Gate(d, x).s);
    }
    const V one = hn::Set(d, 1.0f);
    const Arg a = Argument(d, ClampMagnitude(d, x, 20.0f));
    const V den = hn::MulAdd(FastExp(d, hn::Neg(a.t)), hn::Sub(one, a.t_lo), one);
    return hn::Mul(x, hn::Div(one, den));
  }
  V Backward(D d, V x, V dy) const {
    const SigmoidParts g = Gate(d, x);
    const V xc = ClampMagnitude(d, x, 20.0f);
    const V inner_dx = hn::MulAdd(hn::Set(d, 3 * kC3.hi), hn::Mul(xc, xc), hn::Set(d, kC1.hi));
    return hn::Mul(dy, hn::MulAdd(hn::Mul(x, hn::Mul(g.s, g.c)), inner_dx, g.s));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
