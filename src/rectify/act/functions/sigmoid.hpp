// sigmoid(x) = 1 / (1 + exp(-x)): the logistic function, for comparison; saturates on both sides.
#ifndef RECTIFY_ACT_FUNCTIONS_SIGMOID_HPP_
#define RECTIFY_ACT_FUNCTIONS_SIGMOID_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct sigmoid : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return ref::sigmoid(x);
  }
  // s (1 - s) = e / (1 + e)^2, e = exp(-|x|): 1 - s cancels in the tail.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    return dy * ref::sigmoid_slope(x);
  }
  template <class T>
  static T backward_from_output(const Activation&, T y, T dy) {
    return dy * (y * (T(1) - y));
  }

  static constexpr FunctionInfo info{
      .fn = Fn::sigmoid,
      .name = "sigmoid",
      .formula = "1 / (1 + exp(-x))",
      .derivative = "f(x) (1 - f(x))",
      .max_ulp_forward = 3,
      .max_ulp_backward = 4,
      .default_init = Init::glorot_uniform,
      .backward_from_output = always,
      .peers = {.torch = "torch.sigmoid(x)", .onednn = "eltwise_logistic"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_SIGMOID_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_SIGMOID_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_SIGMOID_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_SIGMOID_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_SIGMOID_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::sigmoid> {
  Body(D, const detail::Coefficients&) {}
  V Forward(D d, V x) const { return Sigmoid(d, x); }
  V Backward(D d, V x, V dy) const { return hn::Mul(dy, SigmoidSlope(d, x)); }
  static constexpr bool kLaneWiseFromOutput = true;  // arithmetic on y and dy alone
  V BackwardOutput(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y)));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
