// gelu_erf(x) = x Phi(x) (Hendrycks and Gimpel 2016), Phi the standard normal CDF: PyTorch's
// default F.gelu.
#ifndef RECTIFY_ACT_FUNCTIONS_GELU_ERF_HPP_
#define RECTIFY_ACT_FUNCTIONS_GELU_ERF_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct gelu_erf : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return T(0.5) * x * std::erfc(-x * T(ref::kInvSqrt2)) + T(0);  // gelu(-0.0) = +0, as PyTorch
  }
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    const T cdf = T(0.5) * std::erfc(-x * T(ref::kInvSqrt2));
    const T pdf = T(ref::kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    return dy * (cdf + x * pdf);
  }

  static constexpr FunctionInfo info{
      .fn = Fn::gelu_erf,
      .name = "gelu_erf",
      .formula = "x * Phi(x) = x / 2 * (1 + erf(x / sqrt(2)))",
      .derivative = "Phi(x) + x * phi(x)",
      .max_ulp_forward = 4,
      .max_ulp_backward = 4,
      .root_window = 0.75,
      .peers = {.torch = "F.gelu(x)", .onednn = "eltwise_gelu_erf"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_GELU_ERF_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_GELU_ERF_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_GELU_ERF_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_GELU_ERF_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_GELU_ERF_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// x Phi(x). Phi(-|x|) = erfc(a) / 2 with a = |x| / sqrt(2), carried as a + a_lo since erfc's
// relative error grows like 2 a^2 times that of a in the tail; Phi(x) = 1 - Phi(-x) above 0.
// The gradient Phi(x) + x pdf(x) takes pdf from the same exponential as erfc.
template <>
struct Body<Fn::gelu_erf> {
  static constexpr Split kC = split(ref::kInvSqrt2);
  // |x| / sqrt(2) <= kMaxHalfErfcArg: beyond, Phi is 0 or 1 and pdf 0 in float, so x pdf(x) is
  // NaN for infinite x, as in the reference.
  static constexpr float kMaxAbsX = 14.45f;
  static_assert(kMaxAbsX * ref::kInvSqrt2 <= kMaxHalfErfcArg);
  Body(D, const detail::Coefficients&) {}
  // |x| clamped, h = Phi(-|x|) and g = exp(-x^2 / 2) / 2.
  struct Tail {
    V ax, h, g;
  };
  Tail LowerTail(D d, V x) const {
    const V ax = MinKeepNaN(d, kMaxAbsX, hn::Abs(x));
    const V c = hn::Set(d, kC.hi);
    const V a = hn::Mul(ax, c);
    const V a_err = ProductError(d, ax, c, a);
    const auto r =
        HalfErfcAndGauss(d, a, hn::MulAdd(ax, hn::Set(d, 2 * kC.lo), hn::Add(a_err, a_err)));
    return {ax, r.erfc, r.gauss};
  }
  // x - x h above 0, rounded once (x = +inf: h is 0, and the clamped |x| keeps inf - 0);
  // x h below. + 0: gelu(-0.0) = +0, as PyTorch gives.
  V Forward(D d, V x) const {
    const Tail t = LowerTail(d, x);
    const V y = hn::IfThenElse(x > hn::Zero(d), hn::NegMulAdd(t.ax, t.h, x), hn::Mul(x, t.h));
    return hn::Add(y, hn::Zero(d));
  }
  // Phi(x) + x pdf(x), pdf = g sqrt(2 / pi).
  V Backward(D d, V x, V dy) const {
    const Tail t = LowerTail(d, x);
    const V cdf = hn::IfThenElse(x > hn::Zero(d), hn::Sub(hn::Set(d, 1.0f), t.h), t.h);
    const V c = hn::Set(d, static_cast<float>(2 * ref::kInvSqrt2Pi));
    return hn::Mul(dy, hn::MulAdd(hn::Mul(x, t.g), c, cdf));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
