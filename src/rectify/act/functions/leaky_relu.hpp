// leaky_relu(x) = x > 0 ? x : negative_slope * x: a small gradient where relu has none.
#ifndef RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

// The He gain for a slope a below 0: sqrt(2 / (1 + a^2)).
inline double slope_gain(const Activation& a) {
  return std::sqrt(2.0 / (1.0 + a.param(0) * a.param(0)));
}
// A negative slope turns the output's sign around: it no longer tells the region apart.
inline bool slope_non_negative(const Activation& a) {
  return a.param(0) >= 0.0;
}

struct leaky_relu : Definition {
  template <class T>
  static T forward(const Activation& a, T x) {
    return x > T(0) ? x : x * T(a.param(0));
  }
  // leaky'(0) = slope, as PyTorch.
  template <class T>
  static T backward(const Activation& a, T x, T dy) {
    return x > T(0) ? dy : dy * T(a.param(0));
  }
  template <class T>
  static T backward_from_output(const Activation& a, T y, T dy) {
    return backward(a, y, dy);
  }
  template <class T>
  static bool mask_bit(const Activation&, T x) {
    return x > T(0);
  }
  static MaskSlope mask_slope(const Activation& a) { return {a.param(0), true}; }
  static detail::Coefficients coefficients(const Activation& a) {
    return {static_cast<float>(a.param(0))};
  }

  static constexpr ParamInfo kParams[] = {
      {"negative_slope", 0.01, -kFltMax, kFltMax, false, false, "slope for x <= 0"}};
  static constexpr std::string_view kTestSpecs[] = {"leaky_relu:0.2", "leaky_relu:-0.5",
                                                    "leaky_relu:0"};
  static constexpr FunctionInfo info{
      .fn = Fn::leaky_relu,
      .name = "leaky_relu",
      .formula = "x > 0 ? x : negative_slope * x",
      .derivative = "x > 0 ? 1 : negative_slope",
      .params = kParams,
      .exact = true,
      .backward_from_output = slope_non_negative,
      .mask = always,
      .kinks = kink_at_zero,
      .test_specs = kTestSpecs,
      .layer = {.he_gain = slope_gain},
      .peers = {.torch = "F.leaky_relu(x, negative_slope)",
                .onednn = "eltwise_relu",
                .onednn_alpha = "negative_slope"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_LEAKY_RELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::leaky_relu> {
  static constexpr bool kLaneWise = true;
  V slope;
  Body(D d, const detail::Coefficients& k) : slope(hn::Set(d, k.c0)) {}
  V Forward(D d, V x) const { return hn::IfThenElse(Pass(d, x), x, hn::Mul(x, slope)); }
  M Pass(D d, V x) const { return x > hn::Zero(d); }
  V Backward(D d, V x, V dy) const { return hn::IfThenElse(Pass(d, x), dy, hn::Mul(dy, slope)); }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
