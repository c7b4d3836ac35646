// The SIMD bodies of every function, compiled once per target (dispatch.cpp includes this file
// through hwy/foreach_target.h). Each function is a small struct with the passes it supports;
// generic drivers at the bottom walk the arrays in blocks of 64 elements (one mask word), and
// run the last partial block on a zero-padded copy so nothing reads or writes past the end.
//
// The comparisons are those of the scalar reference (reference.hpp), in the same order, so the
// piecewise-linear family is bit-exact on every target and NaN, -0.0 and the kinks behave the
// same. Never a bare Min/Max on data that may hold NaN: on x86 they drop it.

#if defined(RECTIFY_ACT_SIMD_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_KERNELS_INL_H_
#undef RECTIFY_ACT_SIMD_KERNELS_INL_H_
#else
#define RECTIFY_ACT_SIMD_KERNELS_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "rectify/act/reference.hpp"
#include "rectify/act/simd/erfc-inl.h"
#include "rectify/act/simd/exp-inl.h"
#include "rectify/act/simd/kernel_call.hpp"

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

// max(0, v) per lane, NaN and -0.0 kept.
HWY_INLINE V MaxZeroKeepNaN(D d, V v) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  return hn::Max(hn::Zero(d), v);  // MAXPS returns its second operand if either is NaN, or both 0
#else
  return hn::IfThenElse(v < hn::Zero(d), hn::Zero(d), v);
#endif
}

// Keeps arguments finite where the result no longer changes (|x| > 20 saturates gelu).
HWY_INLINE V ClampMagnitude(D d, V x, float limit) {
  return hn::Min(hn::Max(x, hn::Set(d, -limit)), hn::Set(d, limit));
}

// ---------------------------------------------------------------- piecewise-linear family

// Whether F computes each lane from that lane alone (it declares kLaneWise): then where its
// vectors start changes no bit of the output.
template <class F>
constexpr bool kLaneWise = requires {
  F::kLaneWise;
};

struct Relu {
  static constexpr bool kLaneWise = true;
  explicit Relu(D, const Coefficients&) {}
  V Forward(D d, V x) const { return hn::IfThenZeroElse(x < hn::Zero(d), x); }
  M Pass(D d, V x) const { return hn::Not(x <= hn::Zero(d)); }
  // x <= 0 ? 0 : dy (no Not: one compare and one and-not per vector).
  V Backward(D d, V x, V dy) const { return hn::IfThenZeroElse(x <= hn::Zero(d), dy); }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

struct Leaky {
  static constexpr bool kLaneWise = true;
  V slope;
  Leaky(D d, const Coefficients& k) : slope(hn::Set(d, k.c0)) {}
  V Forward(D d, V x) const { return hn::IfThenElse(Pass(d, x), x, hn::Mul(x, slope)); }
  M Pass(D d, V x) const { return x > hn::Zero(d); }
  V Backward(D d, V x, V dy) const { return hn::IfThenElse(Pass(d, x), dy, hn::Mul(dy, slope)); }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

struct Relu6 {
  static constexpr bool kLaneWise = true;
  V six;
  Relu6(D d, const Coefficients&) : six(hn::Set(d, 6.0f)) {}
  V Forward(D d, V x) const {
    return hn::IfThenZeroElse(x < hn::Zero(d), hn::IfThenElse(x > six, six, x));
  }
  M Pass(D d, V x) const { return hn::Not(hn::Or(x <= hn::Zero(d), x >= six)); }
  V Backward(D d, V x, V dy) const {
    return hn::IfThenZeroElse(hn::Or(x <= hn::Zero(d), x >= six), dy);
  }
  V BackwardOutput(D d, V y, V dy) const { return Backward(d, y, dy); }
};

struct KerasRelu {
  static constexpr bool kLaneWise = true;
  V slope, max_value, threshold;
  bool zero_slope, clipped;  // clipped: max_value is finite, so the gradient is 0 above it
  KerasRelu(D d, const Coefficients& k)
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

// ---------------------------------------------------------------- exp-based family

// elu, selu and celu: x <= 0 ? neg * expm1(x * in) : x * pos. kUnitIn: in is 1 (elu, selu,
// celu with alpha 1), so the multiply before the exponential is skipped.
template <bool kUnitIn>
struct EluFamily {
  V pos, neg, in, grad_hi, grad_lo;
  bool unit_pos;
  EluFamily(D d, const Coefficients& k)
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
  V BackwardOutput(D d, V y, V dy) const {
    const V negative = hn::Mul(hn::Mul(dy, in), hn::Add(y, neg));
    return hn::IfThenElse(y > hn::Zero(d), hn::Mul(dy, pos), negative);
  }
};

// sigmoid'(x) = s (1 - s) = e / (1 + e)^2 with e = exp(-|x|): no 1 - s to cancel, the square
// as 1 + e (e + 2) rounded once, so exp's error, three roundings and dy's make the bound.
HWY_INLINE V SigmoidSlope(D d, V x) {
  const V e = FastExp(d, hn::Neg(hn::Abs(x)));
  const V den = hn::MulAdd(e, hn::Add(e, hn::Set(d, 2.0f)), hn::Set(d, 1.0f));
  return hn::Div(e, den);
}

struct SigmoidFn {
  SigmoidFn(D, const Coefficients&) {}
  V Forward(D d, V x) const { return Sigmoid(d, x); }
  V Backward(D d, V x, V dy) const { return hn::Mul(dy, SigmoidSlope(d, x)); }
  V BackwardOutput(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y)));
  }
};

// tanh(x) = sign(x) e / (e + 2) with e = expm1(2 |x|): no cancellation near 0 (e ~ 2|x|), and
// e / (e + 2) rounds to 1 where tanh does. |x| is clamped at 10, where tanh is 1 in float.
struct TanhFn {
  TanhFn(D, const Coefficients&) {}
  V Forward(D d, V x) const {
    const V ax = hn::Min(hn::Abs(x), hn::Set(d, 10.0f));
    const V e = FastExpm1(d, hn::Add(ax, ax));
    const V t = hn::Div(e, hn::Add(e, hn::Set(d, 2.0f)));
    const V r = hn::CopySignToAbs(t, x);
    return hn::IfThenElse(hn::IsNaN(x), x, r);
  }
  // 1 - tanh(x)^2 = 4 sigmoid'(2x): 1 - t^2 from a rounded t would cancel where |t| nears 1.
  V Backward(D d, V x, V dy) const {
    return hn::Mul(dy, hn::Mul(SigmoidSlope(d, hn::Add(x, x)), hn::Set(d, 4.0f)));
  }
  V BackwardOutput(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Sub(hn::Set(d, 1.0f), hn::Mul(y, y)));
  }
};

// x Phi(x). Phi(-|x|) = erfc(a) / 2 with a = |x| / sqrt(2), carried as a + a_lo since erfc's
// relative error grows like 2 a^2 times that of a in the tail; Phi(x) = 1 - Phi(-x) above 0.
// The gradient Phi(x) + x pdf(x) takes pdf from the same exponential as erfc.
struct GeluErf {
  static constexpr Split kC = split(ref::kInvSqrt2);
  // |x| / sqrt(2) <= kMaxHalfErfcArg: beyond, Phi is 0 or 1 and pdf 0 in float, so x pdf(x) is
  // NaN for infinite x, as in the reference.
  static constexpr float kMaxAbsX = 14.45f;
  static_assert(kMaxAbsX * ref::kInvSqrt2 <= kMaxHalfErfcArg);
  GeluErf(D, const Coefficients&) {}
  // |x| clamped, h = Phi(-|x|) and g = exp(-x^2 / 2) / 2.
  struct Tail {
    V ax, h, g;
  };
  Tail LowerTail(D d, V x) const {
    const V ax = MinKeepNaN(d, kMaxAbsX, hn::Abs(x));
    const V c = hn::Set(d, kC.hi);
    const V a = hn::Mul(ax, c);
    const V a_err = ProductError(d, ax, c, a);
    const auto r =
        HalfErfcAndGauss(d, a, hn::MulAdd(ax, hn::Set(d, 2 * kC.lo), hn::Add(a_err, a_err)));
    return {ax, r.erfc, r.gauss};
  }
  // x - x h above 0, rounded once (x = +inf: h is 0, and the clamped |x| keeps inf - 0);
  // x h below. + 0: gelu(-0.0) = +0, as PyTorch gives.
  V Forward(D d, V x) const {
    const Tail t = LowerTail(d, x);
    const V y = hn::IfThenElse(x > hn::Zero(d), hn::NegMulAdd(t.ax, t.h, x), hn::Mul(x, t.h));
    return hn::Add(y, hn::Zero(d));
  }
  // Phi(x) + x pdf(x), pdf = g sqrt(2 / pi).
  V Backward(D d, V x, V dy) const {
    const Tail t = LowerTail(d, x);
    const V cdf = hn::IfThenElse(x > hn::Zero(d), hn::Sub(hn::Set(d, 1.0f), t.h), t.h);
    const V c = hn::Set(d, static_cast<float>(2 * ref::kInvSqrt2Pi));
    return hn::Mul(dy, hn::MulAdd(hn::Mul(x, t.g), c, cdf));
  }
};

// x sigmoid(2u), 2u = x (c1 + c3 x^2): the same as x / 2 (1 + tanh(u)) without the cancellation.
// 2u is carried as t + t_lo: an error in it is multiplied by |2u| in the tail.
struct GeluTanh {
  static constexpr Split kC1 = split(2 * ref::kSqrt2OverPi);
  static constexpr Split kC3 = split(2 * ref::kSqrt2OverPi * ref::kGeluTanhCubic);
  GeluTanh(D, const Coefficients&) {}
  // 2u = t + t_lo for the clamped x.
  struct Arg {
    V t, t_lo;
  };
  Arg Argument(D d, V xc) const {
    const V c1 = hn::Set(d, kC1.hi), c3 = hn::Set(d, kC3.hi);
    const V x2 = hn::Mul(xc, xc);
    const V x2_lo = ProductError(d, xc, xc, x2);
    const V q = hn::Mul(c3, x2);
    const V q_lo =
        hn::MulAdd(hn::Set(d, kC3.lo), x2, hn::MulAdd(c3, x2_lo, ProductError(d, c3, x2, q)));
    const V p = hn::Add(c1, q);
    const V bb = hn::Sub(p, c1);
    const V p_err = hn::Add(hn::Sub(c1, hn::Sub(p, bb)), hn::Sub(q, bb));  // TwoSum
    const V p_lo = hn::Add(hn::Add(p_err, q_lo), hn::Set(d, kC1.lo));
    const V t = hn::Mul(xc, p);
    return {t, hn::MulAdd(xc, p_lo, ProductError(d, xc, p, t))};
  }
  SigmoidParts Gate(D d, V x) const {
    const Arg a = Argument(d, ClampMagnitude(d, x, 20.0f));
    return SigmoidOf(d, hn::IfThenElse(hn::IsNaN(x), x, a.t), a.t_lo);
  }
  // x / (1 + exp(-t) (1 - t_lo)): exp(-t_lo) = 1 - t_lo in float. Below x = -9, 2u < -80 and
  // exp(-t) heads for overflow while x sigmoid(2u) is still above FLT_MIN: such vectors take Gate,
  // whose exp(-|t|) keeps them. NaN: the clamp drops it, and x * s brings it back.
  V Forward(D d, V x) const {
    if (HWY_UNLIKELY(!hn::AllFalse(d, x < hn::Set(d, -9.0f)))) {
      return hn::Mul(x, Gate(d, x).s);
    }
    const V one = hn::Set(d, 1.0f);
    const Arg a = Argument(d, ClampMagnitude(d, x, 20.0f));
    const V den = hn::MulAdd(FastExp(d, hn::Neg(a.t)), hn::Sub(one, a.t_lo), one);
    return hn::Mul(x, hn::Div(one, den));
  }
  V Backward(D d, V x, V dy) const {
    const SigmoidParts g = Gate(d, x);
    const V xc = ClampMagnitude(d, x, 20.0f);
    const V inner_dx = hn::MulAdd(hn::Set(d, 3 * kC3.hi), hn::Mul(xc, xc), hn::Set(d, kC1.hi));
    return hn::Mul(dy, hn::MulAdd(hn::Mul(x, hn::Mul(g.s, g.c)), inner_dx, g.s));
  }
};

struct Silu {
  Silu(D, const Coefficients&) {}
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

struct Softplus {
  V beta, threshold;
  Softplus(D d, const Coefficients& k) : beta(hn::Set(d, k.c0)), threshold(hn::Set(d, k.c1)) {}
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

// ---------------------------------------------------------------- drivers

// Runs body(i) for each vector offset i of one 64-element block.
template <class Body>
HWY_INLINE void ForEachVector(D d, const Body& body) {
  const std::size_t n = hn::Lanes(d);
  for (std::size_t j = 0; j < kBlock; j += n) body(j);
}

// Calls block(offset, ptrs...) on every full block of [begin, end), then on a zero-padded copy
// of the last partial block. `Inputs` and `Outputs` are pointer arrays of the call.
struct Buffers {
  HWY_ALIGN float in[3][kBlock];
  HWY_ALIGN float out[2][kBlock];
  std::uint8_t mask[kBlock / 8];
};

template <std::size_t kIn, std::size_t kOut, class Block>
void Walk(const float* const (&in)[3], float* const (&out)[2], std::uint8_t* mask_out,
          const std::uint8_t* mask_in, std::size_t begin, std::size_t end, const Block& block) {
  std::size_t i = begin;
  for (; i + kBlock <= end; i += kBlock) {
    const float* ins[3] = {in[0] ? in[0] + i : nullptr, in[1] ? in[1] + i : nullptr,
                           in[2] ? in[2] + i : nullptr};
    float* outs[2] = {out[0] ? out[0] + i : nullptr, out[1] ? out[1] + i : nullptr};
    block(ins, outs, mask_out ? mask_out + i / 8 : nullptr, mask_in ? mask_in + i / 8 : nullptr);
  }
  if (i == end) return;
  const std::size_t rest = end - i;
  Buffers b{};
  const float* ins[3] = {b.in[0], b.in[1], b.in[2]};
  float* outs[2] = {b.out[0], b.out[1]};
  for (std::size_t k = 0; k < kIn; ++k) {
    if (in[k]) std::copy_n(in[k] + i, rest, b.in[k]);
  }
  if (mask_in) std::copy_n(mask_in + i / 8, (rest + 7) / 8, b.mask);
  if (kOut > 1) std::copy_n(out[1] + i, rest, b.out[1]);  // out2 may be an accumulator
  std::uint8_t mask_tail[kBlock / 8] = {};
  block(ins, outs, mask_out ? mask_tail : nullptr, mask_in ? b.mask : nullptr);
  for (std::size_t k = 0; k < kOut; ++k) std::copy_n(b.out[k], rest, out[k] + i);
  if (mask_out) {
    // Keep the unused bits of the last byte zero.
    if (rest % 8 != 0) mask_tail[rest / 8] &= static_cast<std::uint8_t>((1u << (rest % 8)) - 1);
    std::copy_n(mask_tail, (rest + 7) / 8, mask_out + i / 8);
  }
}

// Outputs far larger than the caches, written out of place to 64-byte aligned memory, use
// streaming (non-temporal) stores: they skip reading each output line before writing it, as
// memcpy does for large copies, which saves a third of the memory traffic of a forward pass.
constexpr std::size_t kStreamElements = std::size_t{1} << 22;  // 16 MiB of output per call

template <bool kStream>
HWY_INLINE void StoreOut(V v, D d, float* HWY_RESTRICT p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

// Calls run(std::true_type) for streaming stores or run(std::false_type) for plain ones.
// Block pointers advance by 256 bytes from out + begin, so they stay aligned.
template <class Run>
void WithStores(const detail::KernelCall& c, std::size_t begin, std::size_t end, const Run& run) {
  const bool in_place = c.out == c.in0 || c.out == c.in1 || c.out == c.in2;
  const bool aligned = reinterpret_cast<std::uintptr_t>(c.out + begin) % 64 == 0;
  if (end - begin >= kStreamElements && !in_place && aligned) {
    run(std::true_type());
    hwy::FlushStream();  // order the streamed stores before the caller reads them
  } else {
    run(std::false_type());
  }
}

// 4K aliasing: on x86 cores a load waits for an earlier store still in the store buffer whose
// address matches it in the low 12 bits (and on Zen 3, in the same 64-byte line modulo 4 KiB),
// as if it were the same address. Where an output lies d bytes past an input modulo 4 KiB, the
// store of element i matches the loads of element i + d / 4. Sweep avoids the wait two ways:
// its loads run kLead to 2 kLead vectors ahead of the stores, so every load within that lead of
// a store has already been issued; and it walks the arrays backward when an input lies further
// than the lead before the output, so that the matching loads all come before their stores.
// Walking forward from an input that lies before the output, or backward from one after it,
// the matching load comes d bytes of stores later; when two inputs disagree, the direction
// whose nearest such store lies furthest back wins (1 KiB back, the store has drained).
constexpr std::size_t kLead = 4;

HWY_INLINE bool Backwards(const float* const (&in)[3], const float* out) {
  const std::size_t lead = kLead * hn::Lanes(D()) * sizeof(float);
  std::size_t forward_gap = kPageBytes, backward_gap = kPageBytes;
  for (const float* p : in) {
    if (p == nullptr) continue;
    // out - p modulo 4 KiB, as a distance in [-2048, 2048).
    const std::size_t d =
        (reinterpret_cast<std::uintptr_t>(out) - reinterpret_cast<std::uintptr_t>(p)) % kPageBytes;
    if (d < kPageBytes / 2) {
      if (d >= lead) forward_gap = std::min(forward_gap, d);
    } else if (kPageBytes - d >= lead) {
      backward_gap = std::min(backward_gap, kPageBytes - d);
    }
  }
  return forward_gap < backward_gap;
}

// finish(at(k), load(at(k))) for k in [0, vectors), at(k) = first + k step (modulo 2^64: step
// may be minus a vector), the loads kLead vectors ahead. One instantiation for both directions,
// so that both compile to the same arithmetic (the sign of a NaN that meets another NaN depends
// on the operands' order the compiler picks).
template <class Load, class Finish>
HWY_INLINE void Pipelined(std::size_t vectors, std::size_t first, std::size_t step, Load load,
                          Finish finish) {
  const auto at = [first, step](std::size_t k) { return first + k * step; };
  using Loaded = decltype(load(std::size_t{0}));
  std::size_t k = 0;
  if (vectors >= 2 * kLead) {
    Loaded held[kLead];
    for (std::size_t j = 0; j < kLead; ++j) held[j] = load(at(j));
    for (; k + 2 * kLead <= vectors; k += kLead) {
      Loaded next[kLead];
      for (std::size_t j = 0; j < kLead; ++j) next[j] = load(at(k + kLead + j));
      for (std::size_t j = 0; j < kLead; ++j) finish(at(k + j), held[j]);
      for (std::size_t j = 0; j < kLead; ++j) held[j] = next[j];
    }
    for (std::size_t j = 0; j < kLead; ++j) finish(at(k + j), held[j]);
    k += kLead;
  }
  for (; k < vectors; ++k) finish(at(k), load(at(k)));
}

// finish(i, load(i)) for every whole vector i of [begin, end), and Walk's padded copy with
// `block` on the pieces before and after them, in the direction Backwards picks. kAlign: the
// vectors start at the first aligned store (one that straddles two cache lines costs two);
// only for functions computed lane by lane, since it moves the vectors' bounds with the
// output's address and with the threads' split, and a function that branches on the whole
// vector (a slow path for a far tail) must see the same neighbours whatever the threads.
template <std::size_t kIn, bool kAlign, class Load, class Finish, class Block>
void Sweep(const float* const (&in)[3], float* out, std::size_t begin, std::size_t end, Load load,
           Finish finish, const Block& block) {
  const std::size_t n = hn::Lanes(D());
  const std::size_t bytes = n * sizeof(float);
  const std::size_t misaligned = reinterpret_cast<std::uintptr_t>(out + begin) % bytes;
  const std::size_t first =
      kAlign ? begin + std::min(end - begin, (bytes - misaligned) % bytes / sizeof(float)) : begin;
  const std::size_t vectors = (end - first) / n, whole = first + vectors * n;
  const auto piece = [&](std::size_t from, std::size_t to) {
    if (from < to) Walk<kIn, 1>(in, {out, nullptr}, nullptr, nullptr, from, to, block);
  };
  const bool backwards = Backwards(in, out);
  if (backwards) {
    piece(whole, end);
  } else {
    piece(begin, first);
  }
  Pipelined(vectors, backwards ? whole - n : first, backwards ? std::size_t{0} - n : n, load,
            finish);
  if (backwards) {
    piece(begin, first);
  } else {
    piece(whole, end);
  }
}

template <class F>
void Forward(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* x = c.in0;  // may be y: in place
    float* y = c.out;
    // Captures by value: a vector store may alias any memory, so a pointer or coefficient read
    // through a reference would be read again after every store.
    Sweep<1, kLaneWise<F>>(
        {c.in0, nullptr, nullptr}, c.out, begin, end,
        [x](std::size_t i) { return hn::LoadU(D(), x + i); },
        [y, f](std::size_t i, V v) { StoreOut<kStream>(f.Forward(D(), v), D(), y + i); },
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            hn::StoreU(f.Forward(d, hn::LoadU(d, in[0] + j)), d, out[0] + j);
          });
        });
  });
}

struct Pair {
  V a, b;
};

// out = g(in0, in1) elementwise, with g(v0, v1) one of the two-input passes.
template <bool kAlign, class G>
void Binary(const detail::KernelCall& c, std::size_t begin, std::size_t end, const G& g) {
  const D d;
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* a = c.in0;
    const float* b = c.in1;
    float* o = c.out;
    Sweep<2, kAlign>(  // captures by value, as in Forward
        {c.in0, c.in1, nullptr}, c.out, begin, end,
        [a, b](std::size_t i) {
          return Pair{hn::LoadU(D(), a + i), hn::LoadU(D(), b + i)};
        },
        [o, g](std::size_t i, const Pair& p) { StoreOut<kStream>(g(p.a, p.b), D(), o + i); },
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            hn::StoreU(g(hn::LoadU(d, in[0] + j), hn::LoadU(d, in[1] + j)), d, out[0] + j);
          });
        });
  });
}

template <class F>
void Backward(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  Binary<kLaneWise<F>>(c, begin, end, [f](V x, V dy) { return f.Backward(D(), x, dy); });
}

template <class F>
void BackwardOutput(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  Binary<kLaneWise<F>>(c, begin, end, [f](V y, V dy) { return f.BackwardOutput(D(), y, dy); });
}

template <class F>
void ForwardMask(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  WithStores(c, begin, end, [&](auto stream) {
    Walk<1, 1>(
        {c.in0, nullptr, nullptr}, {c.out, nullptr}, c.mask_out, nullptr, begin, end,
        [&](const float* const* in, float* const* out, std::uint8_t* mask, const std::uint8_t*) {
          std::uint64_t word = 0;
          ForEachVector(d, [&](std::size_t j) {
            const V x = hn::LoadU(d, in[0] + j);
            StoreOut<stream()>(f.Forward(d, x), d, out[0] + j);
            std::uint8_t bits[8] = {};
            hn::StoreMaskBits(d, f.Pass(d, x), bits);
            std::uint64_t lane_bits = 0;
            std::memcpy(&lane_bits, bits, sizeof(bits));
            word |= lane_bits << j;
          });
          std::memcpy(mask, &word, sizeof(word));  // little-endian: bit i of byte i / 8
        });
  });
}

// dx = bit ? dy : (multiply ? dy * slope : 0).
void BackwardMask(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  const hn::RebindToUnsigned<D> du;
  HWY_ALIGN std::uint32_t powers[hn::MaxLanes(du)];
  for (std::size_t k = 0; k < hn::Lanes(du); ++k) powers[k] = 1u << k;
  const auto lane_bit = hn::Load(du, powers);
  const V slope = hn::Set(d, c.k.c0);
  const bool multiply = c.k.c1 != 0.0f;
  WithStores(c, begin, end, [&](auto stream) {
    Walk<2, 1>(
        {nullptr, c.in1, nullptr}, {c.out, nullptr}, nullptr, c.mask_in, begin, end,
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t* mask) {
          std::uint64_t word = 0;
          std::memcpy(&word, mask, sizeof(word));
          ForEachVector(d, [&](std::size_t j) {
            const auto bits = static_cast<std::uint32_t>(word >> j);
            const M pass = hn::RebindMask(d, hn::TestBit(hn::Set(du, bits), lane_bit));
            const V dy = hn::LoadU(d, in[1] + j);
            const V other = multiply ? hn::Mul(dy, slope) : hn::Zero(d);
            StoreOut<stream()>(hn::IfThenElse(pass, dy, other), d, out[0] + j);
          });
        });
  });
}

void CreluForward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  const Relu relu(d, c.k);
  Walk<1, 2>({c.in0, nullptr, nullptr}, {c.out, c.out2}, nullptr, nullptr, begin, end,
             [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
               ForEachVector(d, [&](std::size_t j) {
                 const V x = hn::LoadU(d, in[0] + j);
                 hn::StoreU(relu.Forward(d, x), d, out[0] + j);
                 hn::StoreU(relu.Forward(d, hn::Neg(x)), d, out[1] + j);
               });
             });
}

// dx = relu'(x) dy1 - relu'(-x) dy2.
void CreluBackward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  const Relu relu(d, c.k);
  Walk<3, 1>({c.in0, c.in1, c.in2}, {c.out, nullptr}, nullptr, nullptr, begin, end,
             [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
               ForEachVector(d, [&](std::size_t j) {
                 const V x = hn::LoadU(d, in[0] + j);
                 const V first = relu.Backward(d, x, hn::LoadU(d, in[1] + j));
                 const V second = relu.Backward(d, hn::Neg(x), hn::LoadU(d, in[2] + j));
                 hn::StoreU(hn::Sub(first, second), d, out[0] + j);
               });
             });
}

// One channel block with one slope: dx, and the slope gradient summed in double.
void PreluSum(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  const Leaky leaky(d, c.k);
  V acc = hn::Zero(d);
  double total = 0;
  Walk<2, 1>({c.in0, c.in1, nullptr}, {c.out, nullptr}, nullptr, nullptr, begin, end,
             [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
               ForEachVector(d, [&](std::size_t j) {
                 const V x = hn::LoadU(d, in[0] + j);
                 const V dy = hn::LoadU(d, in[1] + j);
                 hn::StoreU(leaky.Backward(d, x, dy), d, out[0] + j);
                 acc = hn::Add(acc, hn::IfThenZeroElse(leaky.Pass(d, x), hn::Mul(x, dy)));
               });
               // Flush per block so the float partial sums stay short.
               total += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, acc)));
               acc = hn::Zero(d);
             });
  *c.sum = total;
}

// One row of C channels (NHWC) with a slope per element.
void PreluRowsForward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  Walk<2, 1>({c.in0, c.in1, nullptr}, {c.out, nullptr}, nullptr, nullptr, begin, end,
             [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
               ForEachVector(d, [&](std::size_t j) {
                 const V x = hn::LoadU(d, in[0] + j);
                 const V y =
                     hn::IfThenElse(x > hn::Zero(d), x, hn::Mul(x, hn::LoadU(d, in[1] + j)));
                 hn::StoreU(y, d, out[0] + j);
               });
             });
}

void PreluRowsBackward(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  Walk<3, 2>({c.in0, c.in1, c.in2}, {c.out, c.out2}, nullptr, nullptr, begin, end,
             [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
               ForEachVector(d, [&](std::size_t j) {
                 const V x = hn::LoadU(d, in[0] + j);
                 const V dy = hn::LoadU(d, in[2] + j);
                 const M pass = x > hn::Zero(d);
                 hn::StoreU(hn::IfThenElse(pass, dy, hn::Mul(dy, hn::LoadU(d, in[1] + j))), d,
                            out[0] + j);
                 const V acc = hn::LoadU(d, out[1] + j);
                 hn::StoreU(hn::Add(acc, hn::IfThenZeroElse(pass, hn::Mul(x, dy))), d, out[1] + j);
               });
             });
}

template <class F>
void RunPasses(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const F f(D(), c.k);
  using detail::Pass;
  if (c.pass == Pass::forward) return Forward(f, c, begin, end);
  if (c.pass == Pass::backward) return Backward(f, c, begin, end);
  if constexpr (requires(const F& g, D d, V v) { g.BackwardOutput(d, v, v); }) {
    if (c.pass == Pass::backward_output) return BackwardOutput(f, c, begin, end);
  }
  if constexpr (requires(const F& g, D d, V v) { g.Pass(d, v); }) {
    if (c.pass == Pass::forward_mask) return ForwardMask(f, c, begin, end);
  }
}

void RunKernel(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  using detail::Pass;
  switch (c.pass) {
    case Pass::backward_mask:
      return BackwardMask(c, begin, end);
    case Pass::crelu_forward:
      return CreluForward(c, begin, end);
    case Pass::crelu_backward:
      return CreluBackward(c, begin, end);
    case Pass::prelu_sum:
      return PreluSum(c, begin, end);
    case Pass::prelu_rows_forward:
      return PreluRowsForward(c, begin, end);
    case Pass::prelu_rows_backward:
      return PreluRowsBackward(c, begin, end);
    default:
      break;
  }
  switch (c.fn) {
    case Fn::relu:
    case Fn::crelu:
      return RunPasses<Relu>(c, begin, end);
    case Fn::leaky_relu:
    case Fn::prelu:
      return RunPasses<Leaky>(c, begin, end);
    case Fn::relu6:
      return RunPasses<Relu6>(c, begin, end);
    case Fn::keras_relu:
      return RunPasses<KerasRelu>(c, begin, end);
    case Fn::elu:
    case Fn::selu:
    case Fn::celu:
      if (c.k.c2 == 1.0f) return RunPasses<EluFamily<true>>(c, begin, end);
      return RunPasses<EluFamily<false>>(c, begin, end);
    case Fn::sigmoid:
      return RunPasses<SigmoidFn>(c, begin, end);
    case Fn::tanh:
      return RunPasses<TanhFn>(c, begin, end);
    case Fn::gelu_erf:
      return RunPasses<GeluErf>(c, begin, end);
    case Fn::gelu_tanh:
      return RunPasses<GeluTanh>(c, begin, end);
    case Fn::silu:
      return RunPasses<Silu>(c, begin, end);
    case Fn::softplus:
      return RunPasses<Softplus>(c, begin, end);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_KERNELS_INL_H_
