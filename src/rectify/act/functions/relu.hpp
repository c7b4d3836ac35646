// relu(x) = max(0, x): the rectified linear unit.
#ifndef RECTIFY_ACT_FUNCTIONS_RELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_RELU_HPP_

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct relu : Definition {
  template <class T>
  static T forward(const Activation&, T x) {
    return ref::relu(x);  // NaN and -0.0 pass through unchanged
  }
  // relu'(0) = 0, as PyTorch. Selects rather than multiplies: an infinite dy stays 0 below 0.
  template <class T>
  static T backward(const Activation&, T x, T dy) {
    return x <= T(0) ? T(0) : dy;
  }
  template <class T>
  static T backward_from_output(const Activation& a, T y, T dy) {
    return backward(a, y, dy);
  }

  static constexpr FunctionInfo info{
      .fn = Fn::relu,
      .name = "relu",
      .formula = "max(0, x)",
      .derivative = "x > 0 ? 1 : 0",
      .exact = true,
      .backward_from_output = always,
      .mask = always,
      .kinks = kink_at_zero,
      .peers = {.torch = "F.relu(x)", .onednn = "eltwise_relu"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_RELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_RELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_RELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_RELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_RELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::relu> {
  static constexpr bool kLaneWise = true;
  Body(D, const detail::Coefficients&) {}
  V Forward(D d, V x) const { return hn::IfThenZeroElse(x < hn::Zero(d), x); }
  M Pass(D d, V x) const { return hn::Not(x <= hn::Zero(d)); }
  // x <= 0 ? 0 : dy (no Not: one compare and one and-not per vector).
  V Backward(D d, V x, V dy) const { return hn::IfThenZeroElse(x <= hn::Zero(d), dy); }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
