// silu(x) = x sigmoid(x) (swish with beta 1; Elfwing et al. 2017, Ramachandran et al. 2017).
#ifndef RECTIFY_ACT_FUNCTIONS_SILU_HPP_
#define RECTIFY_ACT_FUNCTIONS_SILU_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct silu : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return x * ref::sigmoid(x);
  }
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    const T s = ref::sigmoid(x);
    return dy * (s * (T(1) + x * (T(1) - s)));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::silu,
      .name = "silu",
      .formula = "x * sigmoid(x)",
      .derivative = "s (1 + x (1 - s)), s = sigmoid(x)",
      .max_ulp_forward = 4,
      .max_ulp_backward = 4,
      .root_window = 0.5,
      .peers = {.torch = "F.silu(x)", .onednn = "eltwise_swish", .onednn_alpha = "1"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_SILU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_SILU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_SILU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_SILU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_SILU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::silu> {
  Body(D, const detail::Coefficients&) {}
  // Below x = -80 the product x sigmoid(x) is still above FLT_MIN where Sigmoid has already
  // underflowed to 0 (x < -88.72): such vectors take SigmoidOf, whose exp(-|x|) keeps them.
  V Forward(D d, V x) const {
    if (HWY_UNLIKELY(!hn::AllFalse(d, x < hn::Set(d, -80.0f)))) {
      return hn::Mul(x, SigmoidOf(d, x, hn::Zero(d)).s);
    }
    return hn::Mul(x, Sigmoid(d, x));
  }
  // s (1 + x (1 - s)) over the common denominator (1 + e)^2, e = exp(-|x|): e (1 + e + x)
  // below 0, 1 + e + x e above. The only cancellation left is 1 + e + x near the root.
  V Backward(D d, V x, V dy) const {
    const V one = hn::Set(d, 1.0f);
    const V e = FastExp(d, hn::Neg(hn::Abs(x)));
    const V one_e = hn::Add(one, e);
    const V num =
        hn::IfThenElse(x < hn::Zero(d), hn::Mul(e, hn::Add(one_e, x)), hn::MulAdd(x, e, one_e));
    const V den = hn::MulAdd(e, hn::Add(e, hn::Set(d, 2.0f)), one);
    const V r = hn::Mul(dy, hn::Div(num, den));
    return hn::IfThenElse(hn::IsNaN(x), hn::Mul(dy, x), r);  // the input's NaN, quieted
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
