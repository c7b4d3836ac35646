// softplus(x) = log(1 + exp(beta x)) / beta: the smooth relu (Dugas et al. 2001), linear above
// PyTorch's threshold.
#ifndef RECTIFY_ACT_FUNCTIONS_SOFTPLUS_HPP_
#define RECTIFY_ACT_FUNCTIONS_SOFTPLUS_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

struct softplus : Definition {
  template <class T>
  static T forward(const Activation& a, T x) {
    const T beta = T(a.param(0)), bx = x * beta;
    if (bx > T(a.param(1))) return x;
    return (std::fmax(bx, T(0)) + std::log1p(std::exp(-std::fabs(bx)))) / beta;
  }
  template <class T>
  static T backward(const Activation& a, T x, T dy) {
    const T bx = x * T(a.param(0));
    return bx > T(a.param(1)) ? dy : dy * ref::sigmoid(bx);
  }
  static detail::Coefficients coefficients(const Activation& a) {
    return {static_cast<float>(a.param(0)), static_cast<float>(a.param(1))};
  }

  static constexpr ParamInfo kParams[] = {
      {"beta", 1.0, kFltMin, kFltMax, false, false, "sharpness: softplus(beta x) / beta"},
      {"threshold", 20.0, -kFltMax, kFltMax, false, false,
       "linear (y = x) where beta x > threshold"},
  };
  static constexpr std::string_view kTestSpecs[] = {"softplus:2,10"};
  static constexpr FunctionInfo info{
      .fn = Fn::softplus,
      .name = "softplus",
      .formula = "beta x > threshold ? x : log(1 + exp(beta x)) / beta",
      .derivative = "beta x > threshold ? 1 : sigmoid(beta x)",
      .params = kParams,
      .max_ulp_forward = 4,
      .max_ulp_backward = 4,
      .kinks = [](const Activation& a) { return std::vector<double>{a.param(1) / a.param(0)}; },
      .test_specs = kTestSpecs,
      // oneDNN 2.6's soft_relu is softplus at beta 1 (it has no beta).
      .peers = {.torch = "F.softplus(x, beta, threshold)", .onednn = "eltwise_soft_relu"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_SOFTPLUS_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_SOFTPLUS_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_SOFTPLUS_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_SOFTPLUS_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_SOFTPLUS_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

template <>
struct Body<Fn::softplus> {
  V beta, threshold;
  Body(D d, const detail::Coefficients& k) : beta(hn::Set(d, k.c0)), threshold(hn::Set(d, k.c1)) {}
  V Forward(D d, V x) const {
    const V bx = hn::Mul(x, beta);
    const V e = FastExp(d, ClampExpArg(d, hn::Neg(hn::Abs(bx))));
    const V smooth = hn::Div(hn::Add(hn::Max(bx, hn::Zero(d)), Log1pUnit(d, e)), beta);
    const V r = hn::IfThenElse(bx > threshold, x, smooth);
    return hn::IfThenElse(hn::IsNaN(x), x, r);
  }
  V Backward(D d, V x, V dy) const {
    const V bx = hn::Mul(x, beta);
    return hn::IfThenElse(bx > threshold, dy, hn::Mul(dy, SigmoidOf(d, bx, hn::Zero(d)).s));
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
