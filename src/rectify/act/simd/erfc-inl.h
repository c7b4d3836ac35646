// Vectorized erfc(x) (and erf(x)) for float lanes, for every Highway target.
//
// Per-target header: include it after "hwy/highway.h" from a translation unit that uses
// HWY_TARGET_INCLUDE + "hwy/foreach_target.h" (or from static-dispatch code).
//
// The algorithm is a branch-free port of the float erfc/erf of Sun's fdlibm as found in
// FreeBSD/musl (s_erff.c): every piecewise approximation is evaluated for all lanes and the
// result is selected per lane. The coefficient tables below are taken from that file, which
// carries the following notice:
//
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================
// (Conversion to float by Ian Lance Taylor, Cygnus Support, ian@cygnus.com.)

// Per-target include guard (same convention as hwy/contrib/math/math-inl.h).
#if defined(RECTIFY_ACT_SIMD_ERFC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_ERFC_INL_H_
#undef RECTIFY_ACT_SIMD_ERFC_INL_H_
#else
#define RECTIFY_ACT_SIMD_ERFC_INL_H_
#endif

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace erfc_detail {

// Per-lane choice between two float constants.
template <class D, class M>
HWY_INLINE hn::Vec<D> Pick(D d, M m, float if_true, float if_false) {
  return hn::IfThenElse(m, hn::Set(d, if_true), hn::Set(d, if_false));
}

// Pieces shared by Erf and Erfc; see s_erff.c for the derivation.
template <class V>
struct ErfPieces {
  V ax;      // |x|
  V y;       // |x| < 0.84375: erf(x) = x + x * y; 0.84375 <= |x| < 1.25: erf(|x|) = erx + y
  V r_tail;  // 1.25 <= |x|: erfc(|x|), clamped at |x| = 10.5 (where it underflows to 0)
};

template <class D, class V>
HWY_INLINE ErfPieces<V> ComputePieces(D d, V x) {
  const hn::RebindToSigned<D> di;
  const hn::RebindToUnsigned<D> du;
  const V one = hn::Set(d, 1.0f);

  ErfPieces<V> p;
  p.ax = hn::Abs(x);
  const auto is_tiny = hn::Lt(p.ax, hn::Set(d, 0.84375f));
  const auto is_mid = hn::Lt(p.ax, hn::Set(d, 1.25f));

  // |x| < 0.84375: y = pp(x^2) / qq(x^2).
  const V x2 = hn::Mul(x, x);
  V num_tiny = hn::Set(d, -2.3763017452e-05f);                          // pp4
  num_tiny = hn::MulAdd(num_tiny, x2, hn::Set(d, -5.7702702470e-03f));  // pp3
  num_tiny = hn::MulAdd(num_tiny, x2, hn::Set(d, -2.8481749818e-02f));  // pp2
  num_tiny = hn::MulAdd(num_tiny, x2, hn::Set(d, -3.2504209876e-01f));  // pp1
  num_tiny = hn::MulAdd(num_tiny, x2, hn::Set(d, 1.2837916613e-01f));   // pp0
  V den_tiny = hn::Set(d, -3.9602282413e-06f);                          // qq5
  den_tiny = hn::MulAdd(den_tiny, x2, hn::Set(d, 1.3249473704e-04f));   // qq4
  den_tiny = hn::MulAdd(den_tiny, x2, hn::Set(d, 5.0813062117e-03f));   // qq3
  den_tiny = hn::MulAdd(den_tiny, x2, hn::Set(d, 6.5022252500e-02f));   // qq2
  den_tiny = hn::MulAdd(den_tiny, x2, hn::Set(d, 3.9791721106e-01f));   // qq1
  den_tiny = hn::MulAdd(den_tiny, x2, one);

  // 0.84375 <= |x| < 1.25: y = pa(|x| - 1) / qa(|x| - 1).
  const V s = hn::Sub(p.ax, one);
  V num_mid = hn::Set(d, -2.1663755178e-03f);                        // pa6
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, 3.5478305072e-02f));   // pa5
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, -1.1089469492e-01f));  // pa4
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, 3.1834661961e-01f));   // pa3
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, -3.7220788002e-01f));  // pa2
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, 4.1485610604e-01f));   // pa1
  num_mid = hn::MulAdd(num_mid, s, hn::Set(d, -2.3621185683e-03f));  // pa0
  V den_mid = hn::Set(d, 1.1984500103e-02f);                         // qa6
  den_mid = hn::MulAdd(den_mid, s, hn::Set(d, 1.3637083583e-02f));   // qa5
  den_mid = hn::MulAdd(den_mid, s, hn::Set(d, 1.2617121637e-01f));   // qa4
  den_mid = hn::MulAdd(den_mid, s, hn::Set(d, 7.1828655899e-02f));   // qa3
  den_mid = hn::MulAdd(den_mid, s, hn::Set(d, 5.4039794207e-01f));   // qa2
  den_mid = hn::MulAdd(den_mid, s, hn::Set(d, 1.0642088205e-01f));   // qa1
  den_mid = hn::MulAdd(den_mid, s, one);

  // 1.25 <= |x|: erfc(|x|) = exp(-z*z - 0.5625 + (z - |x|)(z + |x|) + R/S) / |x|, where z is |x|
  // with the 13 low mantissa bits cleared (so that -z*z - 0.5625 is exact; fdlibm clears only
  // 12, which loses up to 64 ULP near |x| = 8), and R/S is a rational function of 1/x^2 with one
  // table below 1/0.35 and another above. We evaluate R/S as (t^8 R) / (t^8 S) with t = x^2,
  // which has the same terms (all of one sign, so Horner is well conditioned) and saves a
  // division. |x| is clamped to 10.5 (NaN included) to keep every intermediate finite.
  const V axc = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 10.5f)), p.ax, hn::Set(d, 10.5f));
  const V t = hn::Mul(axc, axc);
  const auto lo = hn::Lt(axc, hn::Set(d, 2.857142925262451171875f));  // 0x4036DB6D ~ 1/0.35
  V num_tail = Pick(d, lo, -9.8649440333e-03f, -9.8649431020e-03f);   // ra0 / rb0
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -6.9385856390e-01f, -7.9928326607e-01f));  // 1
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -1.0558626175e+01f, -1.7757955551e+01f));  // 2
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -6.2375331879e+01f, -1.6063638306e+02f));  // 3
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -1.6239666748e+02f, -6.3756646729e+02f));  // 4
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -1.8460508728e+02f, -1.0250950928e+03f));  // 5
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -8.1287437439e+01f, -4.8351919556e+02f));  // 6
  num_tail = hn::MulAdd(num_tail, t, Pick(d, lo, -9.8143291473e+00f, 0.0f));  // ra7 / -
  num_tail = hn::Mul(num_tail, t);
  V den_tail = hn::Add(t, Pick(d, lo, 1.9651271820e+01f, 3.0338060379e+01f));              // 1
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 1.3765776062e+02f, 3.2579251099e+02f));   // 2
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 4.3456588745e+02f, 1.5367296143e+03f));   // 3
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 6.4538726807e+02f, 3.1998581543e+03f));   // 4
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 4.2900814819e+02f, 2.5530502930e+03f));   // 5
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 1.0863500214e+02f, 4.7452853394e+02f));   // 6
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, 6.5702495575e+00f, -2.2440952301e+01f));  // 7
  den_tail = hn::MulAdd(den_tail, t, Pick(d, lo, -6.0424413532e-02f, 0.0f));  // sa8 / -

  // One division serves all three rational functions.
  const V num = hn::IfThenElse(is_tiny, num_tiny, hn::IfThenElse(is_mid, num_mid, num_tail));
  const V den = hn::IfThenElse(is_tiny, den_tiny, hn::IfThenElse(is_mid, den_mid, den_tail));
  p.y = hn::Div(num, den);

  // exp(a + b) with a = -z*z - 0.5625 (exact) and b = (z - |x|)(z + |x|) + R/S (small), in one
  // reduction so that a is never rounded: a + b = q ln2 + r, |r| <= ln2/2 (plus rounding).
  const V z = hn::BitCast(d, hn::And(hn::BitCast(du, axc), hn::Set(du, 0xFFFFE000u)));
  const V a = hn::NegMulAdd(z, z, hn::Set(d, -0.5625f));
  const V b = hn::MulAdd(hn::Sub(z, axc), hn::Add(z, axc), p.y);
  const V qf = hn::Round(hn::Mul(hn::Add(a, b), hn::Set(d, 1.44269502162933349609375f)));
  // ln2 = kLn2Hi + kLn2Lo; kLn2Hi has 16 significant bits, so qf * kLn2Hi is exact and so is
  // a - qf * kLn2Hi (both are multiples of 2^-20 and the difference is below 2).
  const V kLn2Hi = hn::Set(d, 0.693145751953125f);
  const V kLn2Lo = hn::Set(d, 1.428606765330187e-06f);
  const V r = hn::Add(hn::NegMulAdd(qf, kLn2Hi, a), hn::NegMulAdd(qf, kLn2Lo, b));
  // exp(r) = 1 + r + r^2 Q(r) on [-0.347, 0.347]; Chebyshev fit, relative error 7.4e-10.
  V e = hn::Set(d, 1.989126903936267e-04f);
  e = hn::MulAdd(e, r, hn::Set(d, 1.3933900045230985e-03f));
  e = hn::MulAdd(e, r, hn::Set(d, 8.33331048488617e-03f));
  e = hn::MulAdd(e, r, hn::Set(d, 4.1666463017463684e-02f));
  e = hn::MulAdd(e, r, hn::Set(d, 1.666666716337204e-01f));
  e = hn::MulAdd(e, r, hn::Set(d, 0.5f));
  const V e_m1 = hn::MulAdd(hn::Mul(r, r), e, r);  // exp(r) - 1
  const V e_hi = hn::Add(one, e_m1);
  const V e_lo = hn::Add(hn::Sub(one, e_hi), e_m1);  // exact (Fast2Sum, |e_m1| < 1)
  // exp(r) / |x| = e_hi / |x| + e_lo / |x|: the low part keeps the rounding error of e_hi out of
  // the result (it is worth ~1 ULP), and a rough reciprocal is enough for it.
  const V quot = hn::MulAdd(e_lo, hn::ApproximateReciprocal(axc), hn::Div(e_hi, axc));
  // Divide by |x| before scaling by 2^q (-161 <= q <= -2), so that only the final, exact or
  // subnormal-rounding, multiplication can produce a subnormal.
  const auto q = hn::ConvertTo(di, qf);
  const auto q1 = hn::ShiftRight<1>(q);
  const auto bias = hn::Set(di, 127);
  const V scale1 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(q1, bias)));
  const V scale2 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::Sub(q, q1), bias)));
  p.r_tail = hn::Mul(hn::Mul(quot, scale1), scale2);
  return p;
}

}  // namespace erfc_detail

// erfc(x) for float lanes, any x. Max error 2 ULP versus erfc computed in double and rounded
// (measured by tests/act/erfc_ulp_check.cpp on AVX2, SSE4, SSSE3, EMU128 and SCALAR; AVX-512
// targets compile but were not run), relative over the whole range
// including the tail (x up to ~10.05, where erfc underflows to 0) and x < 0 (erfc -> 2).
// NaN -> NaN, +inf -> 0, -inf -> 2, +-0 -> 1.
template <class D, class V>
HWY_INLINE V Erfc(D d, V x) {
  const erfc_detail::ErfPieces<V> p = erfc_detail::ComputePieces(d, x);
  const V one = hn::Set(d, 1.0f);
  const V half = hn::Set(d, 0.5f);
  const V two = hn::Set(d, 2.0f);
  const auto neg = hn::Lt(x, hn::Zero(d));

  // |x| < 0.84375: erfc(x) = 1 - x - x * y, arranged so that the subtraction that cancels is
  // exact (Sterbenz): x - 1/2 for x in [1/4, 1/2), 1 - x for x in [1/2, 0.84375).
  const V tiny_a = hn::Sub(one, hn::MulAdd(x, p.y, x));                  // x < 1/4
  const V tiny_b = hn::Sub(half, hn::MulAdd(x, p.y, hn::Sub(x, half)));  // 1/4 <= x < 1/2
  const V tiny_c = hn::NegMulAdd(x, p.y, hn::Sub(one, x));               // 1/2 <= x
  const V tiny = hn::IfThenElse(hn::Lt(x, hn::Set(d, 0.25f)), tiny_a,
                                hn::IfThenElse(hn::Lt(x, half), tiny_b, tiny_c));

  // 0.84375 <= |x| < 1.25.
  const float erx = 8.4506291151e-01f;
  const V mid = hn::IfThenElse(neg, hn::Add(one, hn::Add(hn::Set(d, erx), p.y)),
                               hn::Sub(hn::Set(d, 1.0f - erx), p.y));

  // |x| >= 1.25.
  const V tail = hn::IfThenElse(neg, hn::Sub(two, p.r_tail), p.r_tail);

  V ret = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 1.25f)), mid, tail);
  ret = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 0.84375f)), tiny, ret);
  return hn::IfThenElse(hn::IsNaN(x), x, ret);
}

// erf(x) for float lanes, any x. Max error 1 ULP versus erf computed in double and rounded
// (measured as for Erfc). NaN -> NaN, +-inf -> +-1, erf(-0) = -0.
template <class D, class V>
HWY_INLINE V Erf(D d, V x) {
  const erfc_detail::ErfPieces<V> p = erfc_detail::ComputePieces(d, x);
  const V one = hn::Set(d, 1.0f);

  // |x| < 0.84375; for subnormal x, scale up to keep x * y_tiny accurate.
  const V tiny_n = hn::MulAdd(x, p.y, x);
  const V x8 = hn::Mul(x, hn::Set(d, 8.0f));
  const V tiny_s =
      hn::Mul(hn::Set(d, 0.125f), hn::MulAdd(x, hn::Set(d, 1.0270333290e+00f), x8));  // efx8
  const V tiny = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 1.0e-30f)), tiny_s, tiny_n);

  const V mid = hn::Add(hn::Set(d, 8.4506291151e-01f), p.y);  // erx
  const V tail = hn::Sub(one, p.r_tail);

  V ret = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 6.0f)), tail, one);
  ret = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 1.25f)), mid, ret);
  ret = hn::CopySignToAbs(ret, x);
  ret = hn::IfThenElse(hn::Lt(p.ax, hn::Set(d, 0.84375f)), tiny, ret);
  return hn::IfThenElse(hn::IsNaN(x), x, ret);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_ERFC_INL_H_
