// selu(x) = scale (x > 0 ? x : alpha (exp(x) - 1)) with the fixed constants of Klambauer et al.
// (2017), which make a deep stack self-normalising under LeCun-normal weights.
// Outside the guard: the SIMD section needs the other body once per target, first.
#include "rectify/act/functions/elu.hpp"
#ifndef RECTIFY_ACT_FUNCTIONS_SELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_SELU_HPP_

namespace rectify::def {

struct selu : EluFamily<selu> {
  template <class T>
  static EluCoefficients<T> family(const Activation&) {
    return {T(ref::kSeluScale), T(ref::kSeluScale * ref::kSeluAlpha), T(1)};
  }

  static constexpr FunctionInfo info{
      .fn = Fn::selu,
      .name = "selu",
      .formula = "scale * (x > 0 ? x : alpha * (exp(x) - 1))",
      .derivative = "scale * (x > 0 ? 1 : alpha * exp(x))",
      .max_ulp_forward = 2,
      .max_ulp_backward = 2,
      .default_init = Init::lecun_normal,
      .backward_from_output = always,
      .kinks = kink_at_zero,
      .layer = {.he_gain = [](const Activation&) { return 1.0; }, .alpha_dropout = true},
      .peers = {.torch = "F.selu(x)"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_SELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_SELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_SELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_SELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_SELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::selu> : EluBody<true> {
  using EluBody<true>::EluBody;
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
