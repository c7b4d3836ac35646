// keras_relu: Keras' relu(x, negative_slope, max_value, threshold), the clipped and thresholded
// forms in one: x >= max_value ? max_value : x >= threshold ? x : negative_slope (x - threshold).
#ifndef RECTIFY_ACT_FUNCTIONS_KERAS_RELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_KERAS_RELU_HPP_

#include <fmt/format.h>
#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct keras_relu : Definition {
  // Below the threshold the result is +0 or negative: a zero slope gives exactly 0 (even at
  // -inf) and + 0 turns a -0 product into +0.
  template <class T>
  static T forward(const Activation& a, T x) {
    const T slope = T(a.param(0)), max_value = T(a.param(1)), threshold = T(a.param(2));
    if (x >= max_value) return max_value;
    if (!(x < threshold)) return x;                                // x >= threshold, or NaN
    return slope == T(0) ? T(0) : slope * (x - threshold) + T(0);  // 0 * -inf would be NaN
  }
  // A zero slope selects an exact 0, as relu does; no clip point at max_value = inf.
  template <class T>
  static T backward(const Activation& a, T x, T dy) {
    if (x >= T(a.param(1)) && a.param(1) < HUGE_VAL) return T(0);
    if (!(x <= T(a.param(2)))) return dy;  // NaN passes dy, as in relu
    return a.param(0) == 0.0 ? T(0) : dy * T(a.param(0));
  }
  // Valid where the regions of y are those of x (slope and threshold >= 0).
  template <class T>
  static T backward_from_output(const Activation& a, T y, T dy) {
    return backward(a, y, dy);
  }
  template <class T>
  static bool mask_bit(const Activation& a, T x) {
    return !((x >= T(a.param(1)) && a.param(1) < HUGE_VAL) || x <= T(a.param(2)));
  }
  static MaskSlope mask_slope(const Activation& a) {
    const double slope = std::isinf(a.param(1)) ? a.param(0) : 0.0;
    return {slope, slope != 0.0};
  }
  static detail::Coefficients coefficients(const Activation& a) {
    const auto f = [](double v) { return static_cast<float>(v); };
    return {f(a.param(0)), f(a.param(1)), f(a.param(2))};
  }

  static bool from_output(const Activation& a) { return a.param(0) >= 0.0 && a.param(2) >= 0.0; }
  // Two slopes at most: zero slope below, or no clip point above.
  static bool has_mask(const Activation& a) { return a.param(0) == 0.0 || std::isinf(a.param(1)); }
  static std::string check(std::span<const double> v) {
    if (v[2] <= v[1]) return {};
    return fmt::format("keras_relu: threshold ({}) must not exceed max_value ({})", v[2], v[1]);
  }
  static std::vector<double> kinks(const Activation& a) {
    std::vector<double> at{a.param(2)};
    if (std::isfinite(a.param(1)) && a.param(1) != a.param(2)) at.push_back(a.param(1));
    return at;
  }

  static constexpr ParamInfo kParams[] = {
      {"negative_slope", 0.0, 0.0, kFltMax, false, false, "slope below the threshold"},
      {"max_value", kInf, 0.0, kInf, false, false, "output is clipped to this value"},
      {"threshold", 0.0, -kFltMax, kFltMax, false, false, "below it the negative slope applies"},
  };
  static constexpr std::string_view kTestSpecs[] = {
      "keras_relu:0.1,6,0.5", "keras_relu:0,6,1", "keras_relu:0.2,inf,-1",
      "keras_relu:negative_slope=0.3,max_value=2,threshold=2"};
  static constexpr FunctionInfo info{
      .fn = Fn::keras_relu,
      .name = "keras_relu",
      .formula =
          "x >= max_value ? max_value : x >= threshold ? x : negative_slope * (x - threshold)",
      .derivative = "x >= max_value ? 0 : x > threshold ? 1 : negative_slope",
      .params = kParams,
      .exact = true,
      .backward_from_output = from_output,
      .mask = has_mask,
      .check = check,
      .kinks = kinks,
      .test_specs = kTestSpecs,
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_KERAS_RELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_KERAS_RELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_KERAS_RELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_KERAS_RELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_KERAS_RELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::keras_relu> {
  static constexpr bool kLaneWise = true;
  V slope, max_value, threshold;
  bool zero_slope, clipped;  // clipped: max_value is finite, so the gradient is 0 above it
  Body(D d, const detail::Coefficients& k)
      : slope(hn::Set(d, k.c0)),
        max_value(hn::Set(d, k.c1)),
        threshold(hn::Set(d, k.c2)),
        zero_slope(k.c0 == 0.0f),
        clipped(k.c1 < HUGE_VALF) {}
  M Clip(D d, V x) const { return clipped ? x >= max_value : hn::FirstN(d, 0); }
  V Forward(D d, V x) const {
    const V below =
        zero_slope ? hn::Zero(d) : hn::Add(hn::Mul(slope, hn::Sub(x, threshold)), hn::Zero(d));
    return hn::IfThenElse(x >= max_value, max_value, hn::IfThenElse(x < threshold, below, x));
  }
  M Pass(D d, V x) const { return hn::Not(hn::Or(Clip(d, x), x <= threshold)); }
  V Backward(D d, V x, V dy) const {
    const V below = zero_slope ? hn::Zero(d) : hn::Mul(dy, slope);
    return hn::IfThenZeroElse(Clip(d, x), hn::IfThenElse(x <= threshold, below, dy));
  }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
