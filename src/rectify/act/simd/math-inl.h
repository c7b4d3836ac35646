// The SIMD helpers the function bodies share (functions/*.hpp), compiled once per target: the
// vector types, exact products, sigmoid pieces, clamps. Per-target header, included from a
// definition's SIMD section or from drivers-inl.h.
//
// A body is `template <> struct Body<Fn::name>` with a constructor Body(D, const Coefficients&)
// and V Forward(D, V x), V Backward(D, V x, V dy); optionally V BackwardOutput(D, V y, V dy) and
// M Pass(D, V x) (the 1-bit mask) where the metadata allows them, `static constexpr bool
// kLaneWise = true` where each lane is computed from that lane alone, and a static
// Run(const KernelCall&, begin, end) where it runs passes of its own (drivers-inl.h).
//
// The comparisons are those of the scalar definition, in the same order, so the exact functions
// are bit-exact on every target and NaN, -0.0 and the kinks behave the same. Never a bare
// Min/Max on data that may hold NaN: on x86 they drop it.

#if defined(RECTIFY_ACT_SIMD_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_MATH_INL_H_
#undef RECTIFY_ACT_SIMD_MATH_INL_H_
#else
#define RECTIFY_ACT_SIMD_MATH_INL_H_
#endif

#include <cmath>
#include <cstddef>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "rectify/act/activation.hpp"
#include "rectify/act/coefficients.hpp"
#include "rectify/act/scalar_math.hpp"
#include "rectify/act/simd/erfc-inl.h"
#include "rectify/act/simd/exp-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using M = hn::Mask<D>;
using detail::Coefficients;

constexpr std::size_t kBlock = 64;  // elements per mask word; a multiple of every vector width
constexpr std::size_t kPageBytes = 4096;  // the period of the loads' store-aliasing check

// exp's argument is clamped here: below it every result is 0 or a denormal, and Highway's Exp
// is documented on [-FLT_MAX, 104] only.
HWY_INLINE V ClampExpArg(D d, V t) {
  return hn::Max(t, hn::Set(d, -104.0f));
}

// The rounding error of a * b: a * b == hi + ProductError(a, b, hi) exactly, where hi = a * b.
HWY_INLINE V ProductError(D d, V a, V b, V hi) {
#if HWY_NATIVE_FMA
  (void)d;
  return hn::MulSub(a, b, hi);
#else
  // Dekker's product: split each factor into halves of 12 bits, whose products are exact.
  const V split = hn::Set(d, 4097.0f);
  const V ca = hn::Mul(a, split), cb = hn::Mul(b, split);
  const V a_hi = hn::Sub(ca, hn::Sub(ca, a)), b_hi = hn::Sub(cb, hn::Sub(cb, b));
  const V a_lo = hn::Sub(a, a_hi), b_lo = hn::Sub(b, b_hi);
  const V err = hn::Add(hn::Sub(hn::Mul(a_hi, b_hi), hi), hn::Mul(a_hi, b_lo));
  return hn::Add(hn::Add(err, hn::Mul(a_lo, b_hi)), hn::Mul(a_lo, b_lo));
#endif
}

// A constant as float hi + lo, for arguments that an exponential amplifies.
struct Split {
  float hi, lo;
};
constexpr Split split(double v) {
  return {static_cast<float>(v), static_cast<float>(v - static_cast<float>(v))};
}

// sigmoid(t + te) and its complement 1 - sigmoid(t + te), each to full relative precision:
// the complement is never formed by the subtraction 1 - s, which cancels.
struct SigmoidParts {
  V s, c;
};
HWY_INLINE SigmoidParts SigmoidOf(D d, V t, V te) {
  const V one = hn::Set(d, 1.0f);
  const M positive = t >= hn::Zero(d);
  V e = FastExp(d, ClampExpArg(d, hn::Neg(hn::Abs(t))));  // exp(-|t|)
  e = hn::Mul(e, hn::IfThenElse(positive, hn::Sub(one, te), hn::Add(one, te)));
  const V r = hn::Div(one, hn::Add(one, e));
  const V er = hn::Mul(e, r);
  const M nan = hn::IsNaN(t);
  return {hn::IfThenElse(nan, t, hn::IfThenElse(positive, r, er)),
          hn::IfThenElse(nan, t, hn::IfThenElse(positive, er, r))};
}

// sigmoid(x) = 1 / (1 + exp(-x)) alone: the denominator rounded once, then the division, and a
// third fewer operations than SigmoidOf (no |x|, no selects of the two halves). For x < -88.72
// exp(-x) overflows and the result is +0: the true value is below 2^-126 there.
HWY_INLINE V Sigmoid(D d, V x) {
  const V s = hn::Div(hn::Set(d, 1.0f), FastOnePlusExp(d, hn::Neg(x)));
  return hn::IfThenElse(hn::IsNaN(x), x, s);  // the input's NaN, sign and payload kept
}

// Whether Min and Max return their second operand where either is NaN (x86's MINPS and MAXPS);
// Highway's emulated targets return the other operand instead.
constexpr bool kMinMaxPassSecondNaN =
    HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128;

// max(0, v) per lane, NaN and -0.0 kept.
HWY_INLINE V MaxZeroKeepNaN(D d, V v) {
  if constexpr (kMinMaxPassSecondNaN) {
    return hn::Max(hn::Zero(d), v);  // the second operand if either is NaN, or both are 0
  } else {
    return hn::IfThenElse(v < hn::Zero(d), hn::Zero(d), v);
  }
}

// Keeps arguments finite where the result no longer changes (|x| > 20 saturates gelu).
HWY_INLINE V ClampMagnitude(D d, V x, float limit) {
  return hn::Min(hn::Max(x, hn::Set(d, -limit)), hn::Set(d, limit));
}

// The same clamp with NaN passed through, so that arithmetic after it carries the NaN and the
// caller needs no select at the end.
HWY_INLINE V ClampMagnitudeKeepNaN(D d, V x, float limit) {
  if constexpr (kMinMaxPassSecondNaN) {
    return hn::Min(hn::Set(d, limit), hn::Max(hn::Set(d, -limit), x));
  } else {
    return hn::IfThenElse(hn::IsNaN(x), x, ClampMagnitude(d, x, limit));
  }
}

// sigmoid'(x) = s (1 - s) = e / (1 + e)^2 with e = exp(-|x|): no 1 - s to cancel, the square
// as 1 + e (e + 2) rounded once, so exp's error, three roundings and dy's make the bound.
HWY_INLINE V SigmoidSlope(D d, V x) {
  const V e = FastExp(d, hn::Neg(hn::Abs(x)));
  const V den = hn::MulAdd(e, hn::Add(e, hn::Set(d, 2.0f)), hn::Set(d, 1.0f));
  return hn::Div(e, den);
}

// log1p(e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) in [0, 1/3], whose odd series
// 2 (s + s^3/3 + ... + s^15/15) is within 2e-8 relative there: cheaper than a general log1p.
HWY_INLINE V Log1pUnit(D d, V e) {
  const V s = hn::Div(e, hn::Add(e, hn::Set(d, 2.0f)));
  const V s2 = hn::Mul(s, s);
  V p = hn::Set(d, 1.0f / 15);
  for (const float c : {1.0f / 13, 1.0f / 11, 1.0f / 9, 1.0f / 7, 1.0f / 5, 1.0f / 3}) {
    p = hn::MulAdd(p, s2, hn::Set(d, c));
  }
  const V two_s = hn::Add(s, s);
  return hn::MulAdd(hn::Mul(two_s, s2), p, two_s);
}

// Whether F computes each lane from that lane alone (it declares kLaneWise): then where its
// vectors start changes no bit of the output.
template <class F>
constexpr bool kLaneWise = requires {
  F::kLaneWise;
};

// Whether F's backward from the output is computed lane by lane (it declares
// kLaneWiseFromOutput), as it may be where the forward's exp takes a slow path on a whole vector.
template <class F>
constexpr bool kLaneWiseFromOutput = kLaneWise<F> || requires {
  F::kLaneWiseFromOutput;
};

// The SIMD body of each function, specialised in its definition file.
template <Fn>
struct Body;

}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_MATH_INL_H_
