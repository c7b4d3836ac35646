// celu(x) = x > 0 ? x : alpha (exp(x / alpha) - 1) (Barron 2017): elu made continuously
// differentiable for every alpha.
// Outside the guard: the SIMD section needs the other body once per target, first.
#include "rectify/act/functions/elu.hpp"
#ifndef RECTIFY_ACT_FUNCTIONS_CELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_CELU_HPP_

namespace rectify::def {

struct celu : EluFamily<celu> {
  template <class T>
  static EluCoefficients<T> family(const Activation& a) {
    return {T(1), T(a.param(0)), T(1 / a.param(0))};
  }

  static constexpr ParamInfo kParams[] = {
      {"alpha", 1.0, kFltMin, kMaxAlpha, false, false, "value approached as x -> -inf is -alpha"}};
  static constexpr std::string_view kTestSpecs[] = {"celu:2"};
  static constexpr FunctionInfo info{
      .fn = Fn::celu,
      .name = "celu",
      .formula = "x > 0 ? x : alpha * (exp(x / alpha) - 1)",
      .derivative = "x > 0 ? 1 : exp(x / alpha)",
      .params = kParams,
      .max_ulp_forward = 2,
      .max_ulp_backward = 2,
      .backward_from_output = always,
      .kinks = kink_at_zero,
      .test_specs = kTestSpecs,
      .peers = {.torch = "F.celu(x, alpha)"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_CELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_CELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_CELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_CELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_CELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// x / alpha costs a multiply before the exponential; alpha 1 skips it.
template <>
struct Body<Fn::celu> {
  static void Run(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
    if (c.k.c2 == 1.0f) return RunPasses<EluBody<true>>(c, begin, end);
    RunPasses<EluBody<false>>(c, begin, end);
  }
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
