// Fast vectorized exp(x) and expm1(x) for float lanes, for every Highway target.
//
// Per-target header: include it after "hwy/highway.h" from a translation unit that uses
// HWY_TARGET_INCLUDE + "hwy/foreach_target.h" (or from static-dispatch code).
//
// Algorithm (shared by both functions):
//   n = round(x * log2(e))            magic-number rounding (ties to even); the sum also holds
//                                     n + 127 in its low mantissa bits
//   r = x - n * ln2_hi - n * ln2_lo   two-step Cody-Waite: n * ln2_hi and x - n * ln2_hi are
//                                     exact, so it is as accurate without FMA as with it
//   expm1(r) = r + r * (r * P(r))     P of degree 4 (expm1 of degree 6): minimax for the relative
//                                     error on |r| <= 0.3467, 2^-26.0; degree 3 only gets 2^-23,
//                                     which is not enough for 1 ULP exp / 2 ULP expm1
//   2^n                               (n + 127) << 23: one shift of the magic-number sum
//   exp(x)   = 2^n + 2^n * expm1(r)                       one FMA
//   expm1(x) = 2^n * expm1(r) - (1 - 2^n)                 one FMA; exact for n = 0, so tiny x
//                                                         keep full precision
// Operation count of the fast path on AVX2 (from the generated code): FastExp 12 vector ops
// (10 FMA/add, 1 add, 1 shift) + 3 for the range check (and, compare, movmsk) and a
// never-taken branch; FastExpm1 13 + 3. For comparison hn::Exp is 30 and hn::Expm1 33 vector
// ops in the same loop (degree-7 polynomial, int conversions, two-multiply scaling, selects).
//
// Range: the fast path covers |x| <= 87.5 (2^n normal). If any lane is outside it, or is NaN or
// +-inf (the range check compares the bits of |x| as integers, which catches those), the whole
// vector takes an out-of-line path that is valid for every input and is bit-identical to the
// fast path inside its range:
//   FastExp:   x > 88.7228 -> +inf (correctly rounded overflow). Subnormal results
//              (-103.97 < x < -87.34): 2^n is formed exactly (as 2^(n/2) * 2^(n - n/2)) and
//              the result is rounded once from the polynomial value (with FMA); measured within
//              1 ULP, i.e. 2^-149 absolute. x <= -103.97 -> +0. -inf -> +0, +inf -> +inf,
//              NaN -> NaN (selected with hn::IsNaN at the end), exp(+-0) = 1.
//   FastExpm1: x < -17.33 -> -1 (the float rounding of expm1; it falls out of the arithmetic
//              in the fast path and is selected in the slow one); x > 88.7228 -> +inf;
//              -inf -> -1, +inf -> +inf, NaN -> NaN, expm1(+-0) = +-0, expm1(x) = x for tiny
//              and subnormal x.
// With FTZ/DAZ set, subnormal results flush to zero and subnormal inputs act as zero. For
// |x| < ~1e-19 the fast path has subnormal intermediates (r * q); results are exact, but CPUs
// with slow subnormal arithmetic pay for it.
//
// Accuracy versus std::exp / std::expm1 in double rounded to float, measured by
// tests/act/exp_ulp_check.cpp (every 7th float bit pattern, a dense sweep of [-20, 20] and
// every float around the range boundaries) on SCALAR/EMU128, SSSE3, SSE4 (no FMA) and AVX2:
//   FastExp   <= 1 ULP everywhere, including subnormal results.
//   FastExpm1 <= 2 ULP. All results off by 2 have 0.3466 < x < 0.5 (n = 1, r < -0.19: the
//             sum 2 * expm1(r) + 1 cancels and amplifies the rounding of r and expm1(r));
//             elsewhere <= 1 ULP. Of the floats in that interval 0.02% (FMA) / 0.15% (no FMA)
//             are off by 2.

// Per-target include guard (same convention as hwy/contrib/math/math-inl.h).
#if defined(RECTIFY_ACT_SIMD_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_EXP_INL_H_
#undef RECTIFY_ACT_SIMD_EXP_INL_H_
#else
#define RECTIFY_ACT_SIMD_EXP_INL_H_
#endif

#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace exp_detail {

constexpr float kLog2e = 1.44269504088896341f;
// 0x1.8p23 + 127. Adding it to |y| < 2^22 rounds y to the nearest integer n (ties to even) and
// leaves n + 127 in the low 9 mantissa bits, which ShiftLeft<23> moves into the exponent field.
constexpr float kShift = 12583039.0f;
constexpr int32_t kShiftBits = 0x4B40007F;  // bit pattern of kShift
// ln2 = kLn2Hi + kLn2Lo; kLn2Hi has 15 significant bits, so n * kLn2Hi is exact for |n| < 512.
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-6f;
// P(r) = kC2 + kC3 r + ... + kC6 r^4 ~= (expm1(r) - r) / r^2: minimax for the relative error of
// r + r^2 P(r) on [-0.3467, 0.3467] (Remez, 2^-26.0) with kC2 = 1/2 fixed, then each coefficient
// rounded to float and the remaining ones refitted. 0.3467 > ln2/2 leaves room for the rounding
// of x * log2(e) on targets without FMA.
constexpr float kC2 = 0.5f;
constexpr float kC3 = 0.166665316f;    // 0x1.5554a0p-3
constexpr float kC4 = 0.0416661575f;   // 0x1.555444p-5
constexpr float kC5 = 0.00836809818f;  // 0x1.1234b2p-7
constexpr float kC6 = 0.00139768329f;  // 0x1.6e64f0p-10
// |x| above this (or NaN / inf) takes the slow path; round(87.5 * log2(e)) = 126.
constexpr int32_t kFastLimitBits = 0x42AF0000;  // 87.5f

// Returns expm1(r) for x = n * ln2 + r, and the magic-number sum z (see kShift). Requires
// |x| <= 104 (so that n stays well inside the magic-number range).
template <class D, class V>
HWY_INLINE V Expm1Reduced(D d, V x, V& z) {
  z = hn::MulAdd(x, hn::Set(d, kLog2e), hn::Set(d, kShift));
  const V n = hn::Sub(z, hn::Set(d, kShift));
  // r = x - n * ln2. The first step is exact (Sterbenz), with or without FMA.
  V r = hn::NegMulAdd(n, hn::Set(d, kLn2Hi), x);
  r = hn::NegMulAdd(n, hn::Set(d, kLn2Lo), r);
  // Horner's scheme for P(r), then expm1(r) = r + r * (r * P(r)). Computing q = r * P(r) as
  // r * P(r) + 0 makes q = +0 for r = -0, so that r * q = -0 and expm1(-0) = -0 + -0 = -0
  // (r + r^2 * P(r) would give +0); it costs the same as r^2.
  V h = hn::MulAdd(hn::Set(d, kC6), r, hn::Set(d, kC5));
  h = hn::MulAdd(h, r, hn::Set(d, kC4));
  h = hn::MulAdd(h, r, hn::Set(d, kC3));
  h = hn::MulAdd(h, r, hn::Set(d, kC2));
  const V q = hn::MulAdd(h, r, hn::Zero(d));
  return hn::MulAdd(q, r, r);
}

// 2^k for integer lanes k in [-126, 127].
template <class D, class VI>
HWY_INLINE hn::Vec<D> Pow2I(D d, VI k) {
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, hn::Add(k, hn::Set(di, 127)))));
}

// True in lanes that the fast path cannot handle: |x| > 87.5, +-inf, NaN.
template <class D, class V>
HWY_INLINE bool AnyOutOfFastRange(D /*d*/, V x) {
  const hn::RebindToSigned<D> di;
  const auto abs_bits = hn::BitCast(di, hn::Abs(x));
  return !hn::AllFalse(di, hn::Gt(abs_bits, hn::Set(di, kFastLimitBits)));
}

// Full-range exp (kExpm1 = false) or expm1 (kExpm1 = true) for vectors with at least one lane
// outside the fast range. Out of line to keep the constants out of the callers' loops.
template <bool kExpm1, class D, class V>
HWY_NOINLINE V SlowPath(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0f);
  // exp(-104) < 2^-150 rounds to 0 and exp(89) overflows; clamping keeps n in [-150, 128].
  // NaN lanes get an arbitrary finite value here and are replaced at the end.
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -104.0f)), hn::Set(d, 89.0f));
  V z;
  const V em1 = Expm1Reduced(d, xc, z);
  const auto n = hn::Sub(hn::BitCast(di, z), hn::Set(di, kShiftBits));
  // 2^n = 2^n1 * 2^n2 with both factors normal.
  const auto n1 = hn::ShiftRight<1>(n);
  const V t1 = Pow2I(d, n1);
  const V t2 = Pow2I(d, hn::Sub(n, n1));
  const V t = hn::Mul(t1, t2);  // exact for n in [-149, 127]; 0 for n <= -150; inf for 128
  // Two roundings, but scaling by t2 is exact unless the result overflows (then inf is right).
  const V split = hn::Mul(hn::MulAdd(em1, t1, t1), t2);
  V y;
  if (kExpm1) {
    // For n <= -150 (t = 0): 0 - (1 - 0) = -1.
    y = hn::MulSub(em1, t, hn::Sub(one, t));
  } else {
    // One rounding, also for subnormal results.
    y = hn::MulAdd(em1, t, t);
    // n = -150 (2^-150.5 < exp(x) < 2^-149.5, which rounds to 0 or 2^-149): t underflowed to 0,
    // so scale in two steps instead; the intermediate rounding is 2^-24 relative and only matters
    // at an exact tie.
    y = hn::IfThenElse(hn::RebindMask(d, hn::Lt(n, hn::Set(di, -149))), split, y);
  }
  // n = 128: exp and expm1 (equal in float for x > 17) both need the split scaling.
  y = hn::IfThenElse(hn::RebindMask(d, hn::Gt(n, hn::Set(di, 127))), split, y);
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

}  // namespace exp_detail

// exp(x) for float lanes, any x. Max error 1 ULP versus exp computed in double and rounded
// (see the top of this file for the range handling).
template <class D, class V>
HWY_INLINE V FastExp(D d, V x) {
  const hn::RebindToUnsigned<D> du;
  V z;
  const V em1 = exp_detail::Expm1Reduced(d, x, z);
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, z)));  // 2^n
  if (HWY_UNLIKELY(exp_detail::AnyOutOfFastRange(d, x))) {
    return exp_detail::SlowPath</*kExpm1=*/false>(d, x);
  }
  return hn::MulAdd(em1, scale, scale);  // 2^n * (1 + expm1(r))
}

// expm1(x) = exp(x) - 1 for float lanes, any x, with full relative precision near 0. Max error 2
// ULP versus expm1 computed in double and rounded (see the top of this file).
template <class D, class V>
HWY_INLINE V FastExpm1(D d, V x) {
  const hn::RebindToUnsigned<D> du;
  V z;
  const V em1 = exp_detail::Expm1Reduced(d, x, z);
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, z)));  // 2^n
  if (HWY_UNLIKELY(exp_detail::AnyOutOfFastRange(d, x))) {
    return exp_detail::SlowPath</*kExpm1=*/true>(d, x);
  }
  // 2^n * expm1(r) + (2^n - 1), written as 2^n * expm1(r) - (1 - 2^n): for n = 0 the subtrahend
  // is +0, so the result is expm1(r) exactly, and -0 - (+0) = -0.
  return hn::MulSub(em1, scale, hn::Sub(hn::Set(d, 1.0f), scale));
}

// 1 + exp(x), rounded once on the fast path: 2^n expm1(r) + (2^n + 1). The sum leaves the chain
// of dependent operations (sigmoid's denominator).
template <class D, class V>
HWY_INLINE V FastOnePlusExp(D d, V x) {
  const hn::RebindToUnsigned<D> du;
  const V one = hn::Set(d, 1.0f);
  V z;
  const V em1 = exp_detail::Expm1Reduced(d, x, z);
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, z)));  // 2^n
  if (HWY_UNLIKELY(exp_detail::AnyOutOfFastRange(d, x))) {
    return hn::Add(one, exp_detail::SlowPath</*kExpm1=*/false>(d, x));
  }
  return hn::MulAdd(em1, scale, hn::Add(scale, one));
}

// k * expm1(x) + p, k >= 0, for -87.5 <= x <= 87.5 (other lanes, NaN included, give
// unspecified values: there is no range check, for callers that clamp their argument anyway).
// k is folded into the last step: 2^n k expm1(r) + (k (2^n - 1) + p), where both products with
// 2^n are exact, so the result is rounded once wherever p = 0 or x = 0; the multiply by k leaves
// the chain of dependent operations. p carries the other piece of a two-piece function (elu's
// x > 0 piece), which is 0 wherever expm1's piece is not.
template <class D, class V>
HWY_INLINE V FastExpm1ScaledPlus(D d, V x, V k, V p) {
  const hn::RebindToUnsigned<D> du;
  V z;
  const V em1 = exp_detail::Expm1Reduced(d, x, z);
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, z)));  // 2^n
  const V tail = hn::MulAdd(k, hn::Sub(scale, hn::Set(d, 1.0f)), p);
  return hn::MulAdd(em1, hn::Mul(k, scale), tail);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_EXP_INL_H_
