// elu(x) = x > 0 ? x : alpha (exp(x) - 1) (Clevert et al. 2015): negative outputs push the mean
// activation toward zero. Also the family selu and celu share: x <= 0 ? neg expm1(x in) : x pos.
#ifndef RECTIFY_ACT_FUNCTIONS_ELU_HPP_
#define RECTIFY_ACT_FUNCTIONS_ELU_HPP_

#include <cmath>

#include "rectify/act/definition.hpp"

namespace rectify::def {

// x <= 0 ? neg * expm1(x * in) : x * pos, as PyTorch writes the family.
template <class T>
struct EluCoefficients {
  T pos, neg, in;
};

// The family's definition; Self::family<T>(a) gives its coefficients.
template <class Self>
struct EluFamily : Definition {
  template <class T>
  static T forward(const Activation& a, T x) {
    const auto c = Self::template family<T>(a);
    // + 0 makes f(-0.0) = +0, as PyTorch's exp(x) - 1 gives.
    return x <= T(0) ? c.neg * std::expm1(x * c.in) + T(0) : x * c.pos;
  }
  // elu'(0) = alpha, as PyTorch. NaN gives NaN.
  template <class T>
  static T backward(const Activation& a, T x, T dy) {
    const auto c = Self::template family<T>(a);
    return x > T(0) ? dy * c.pos : dy * (c.in * c.neg) * std::exp(x * c.in);
  }
  template <class T>
  static T backward_from_output(const Activation& a, T y, T dy) {
    const auto c = Self::template family<T>(a);
    return y > T(0) ? dy * c.pos : dy * c.in * (y + c.neg);
  }
  static detail::Coefficients coefficients(const Activation& a) {
    const auto c = Self::template family<float>(a);
    const auto e = Self::template family<double>(a);
    const double grad = e.in * e.neg;
    const auto hi = static_cast<float>(grad);
    return {c.pos, c.neg, c.in, hi, static_cast<float>(grad - hi)};
  }
};

// alpha scales exp(x), which underflows in float near x = -104 where the double reference does
// not: up to this alpha what is lost there stays below FLT_MIN (and celu's x / alpha stays a
// normal float for every |x| >= 1.2e-32).
inline constexpr double kMaxAlpha = 1e6;

struct elu : EluFamily<elu> {
  template <class T>
  static EluCoefficients<T> family(const Activation& a) {
    return {T(1), T(a.param(0)), T(1)};
  }

  static constexpr ParamInfo kParams[] = {
      {"alpha", 1.0, 0.0, kMaxAlpha, false, false, "value approached as x -> -inf is -alpha"}};
  static constexpr std::string_view kTestSpecs[] = {"elu:0.5", "elu:0"};
  static constexpr FunctionInfo info{
      .fn = Fn::elu,
      .name = "elu",
      .formula = "x > 0 ? x : alpha * (exp(x) - 1)",
      .derivative = "x > 0 ? 1 : alpha * exp(x)",
      .params = kParams,
      .max_ulp_forward = 2,
      .max_ulp_backward = 2,
      .backward_from_output = always,
      .kinks = kink_at_zero,
      .test_specs = kTestSpecs,
      // At alpha 0 a negative x gives +0 (the family adds + 0, as for -0.0 and underflow);
      // PyTorch's product gives -0.
      .peers = {.torch = "F.elu(x, alpha)",
                .torch_differs = "pass_ == 'forward' and alpha == 0 and x < 0",
                .onednn = "eltwise_elu",
                .onednn_alpha = "alpha"},
  };
};

}  // namespace rectify::def
#endif  // RECTIFY_ACT_FUNCTIONS_ELU_HPP_

#if defined(RECTIFY_SIMD_BODIES) && \
    defined(RECTIFY_ACT_FUNCTIONS_ELU_SIMD_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_FUNCTIONS_ELU_SIMD_
#undef RECTIFY_ACT_FUNCTIONS_ELU_SIMD_
#else
#define RECTIFY_ACT_FUNCTIONS_ELU_SIMD_
#endif
#include "rectify/act/simd/drivers-inl.h"
HWY_BEFORE_NAMESPACE();
namespace rectify::HWY_NAMESPACE {

// elu, selu and celu: x <= 0 ? neg * expm1(x * in) : x * pos. kUnitIn: in is 1 (elu, selu,
// celu with alpha 1), so the multiply before the exponential is skipped.
template <bool kUnitIn>
struct EluBody {
  V pos, neg, in, grad_hi, grad_lo;
  bool unit_pos;
  EluBody(D d, const detail::Coefficients& k)
      : pos(hn::Set(d, k.c0)),
        neg(hn::Set(d, k.c1)),
        in(hn::Set(d, k.c2)),
        grad_hi(hn::Set(d, k.grad_hi)),
        grad_lo(hn::Set(d, k.grad_lo)),
        unit_pos(k.c0 == 1.0f) {}
  // min(x, 0) in. Backward's FastExp takes any argument (very negative ones on its slow path);
  // Forward clamps it.
  V NegativeArg(D d, V x) const {
    const V m = hn::Min(x, hn::Zero(d));
    return kUnitIn ? m : hn::Mul(m, in);
  }
  // max(x pos, 0) + neg expm1(min(x, 0) in): one piece is 0 wherever the other is not. expm1
  // is -1 in float below -17.33, so clamping its argument at -87.5 changes nothing and spares
  // the range check. NaN: the first piece keeps it.
  V Forward(D d, V x) const {
    const V arg = hn::Max(NegativeArg(d, x), hn::Set(d, -87.5f));
    const V positive = MaxZeroKeepNaN(d, unit_pos ? x : hn::Mul(x, pos));
    // + 0: a negative result that underflows (neg x < 2^-150) is +0, as in the reference.
    return hn::Add(FastExpm1ScaledPlus(d, arg, neg, positive), hn::Zero(d));
  }
  // dy (in neg) exp(x in) below 0, with dy (in neg) = p + p_lo carried exactly enough that the
  // product rounds once: exp's error and that rounding are all.
  V Backward(D d, V x, V dy) const {
    const V e = FastExp(d, NegativeArg(d, x));
    const V p = hn::Mul(dy, grad_hi);
    const V p_lo = hn::MulAdd(dy, grad_lo, ProductError(d, dy, grad_hi, p));
    // An infinite dy makes p_lo inf - inf: p alone then carries the result.
    const V negative = hn::MulAdd(p, e, hn::IfThenZeroElse(hn::IsNaN(p_lo), hn::Mul(p_lo, e)));
    const V r = hn::IfThenElse(x > hn::Zero(d), hn::Mul(dy, pos), negative);
    return hn::IfThenElse(hn::IsNaN(x), x, r);  // NaN in, NaN out (NegativeArg drops it)
  }
  static constexpr bool kLaneWiseFromOutput = true;  // arithmetic on y and dy alone
  V BackwardOutput(D d, V y, V dy) const {
    const V negative = hn::Mul(hn::Mul(dy, in), hn::Add(y, neg));
    return hn::IfThenElse(y > hn::Zero(d), hn::Mul(dy, pos), negative);
  }
};

template <>
struct Body<Fn::elu> : EluBody<true> {
  using EluBody<true>::EluBody;
};

}  // namespace rectify::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();
#endif
