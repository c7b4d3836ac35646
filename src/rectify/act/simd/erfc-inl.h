// Vectorized erfc(x) (and erf(x)) for float lanes, for every Highway target.
//
// Per-target header: include it after "hwy/highway.h" from a translation unit that uses
// HWY_TARGET_INCLUDE + "hwy/foreach_target.h" (or from static-dispatch code).
//
// Branch-free, one formula for all x: with a = min(|x|, 10.1),
//   erfc(a) = exp(-a^2) (1 + psi(q)) / (1 + 1.375 a),   q = (a - 2.5) / (a + 2.5) in [-1, 0.61],
// where 1 + psi = (1 + 1.375 a) exp(a^2) erfc(a) only varies within [0.83, 1.08] and psi is a
// polynomial in q; erfc(x) = 2 - erfc(-x) for x < 0. With FMA, the large factors carry almost no
// rounding error: exp(-a^2) = 2^-m exp(r) with r = m ln2 - a^2 computed without rounding a^2,
// the rounding error of the division t ~ 1 / (1 + 1.375 a) is folded into r, and the result is
// t + t s (|s| < 0.7) with the single rounding of the last FMA. Without FMA, the same formula is
// evaluated in double. Costs two divisions and ~26 FMA-class operations per vector.

// Per-target include guard (same convention as hwy/contrib/math/math-inl.h).
#if defined(RECTIFY_ACT_SIMD_ERFC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_ERFC_INL_H_
#undef RECTIFY_ACT_SIMD_ERFC_INL_H_
#else
#define RECTIFY_ACT_SIMD_ERFC_INL_H_
#endif

#include <stddef.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace erfc_detail {

// Coefficients of psi(q), constant term first: minimax fit of the relative error of 1 + psi on
// [-1, 0.61] (Lawson-reweighted least squares on 3000 Chebyshev nodes against mpmath), rounded
// to float one at a time from the constant term up, refitting the rest each time: 1.3e-8.
constexpr float kPsi[10] = {
    -6.454677135e-02f, -2.002879977e-01f, 1.058195625e-02f,  6.929775327e-02f, -5.832674354e-02f,
    2.127020992e-02f,  -1.246628235e-04f, -2.700372366e-03f, 2.950769849e-04f, 2.992741065e-04f};
// exp(r) = 1 + r e(r), e(r) = sum kExp[i] r^i: fitted like kPsi for the relative error of exp
// on |r| <= 0.3468: 3.2e-9.
constexpr float kExp[6] = {
    1.0f, 4.999999404e-01f, 1.666652113e-01f, 4.166826978e-02f, 8.368680254e-03f, 1.382041955e-03f};
constexpr float kP = 1.375f;      // 1 + psi = (1 + kP a) exp(a^2) erfc(a)
constexpr float kB = 2.5f;        // q = (a - kB) / (a + kB)
constexpr float kMaxArg = 10.1f;  // erfc(a) rounds to 0 in float above 10.0542
constexpr double kLog2E = 1.4426950408889634;

// Horner's rule, c[0] being the constant term.
template <size_t N, class D, class V>
HWY_INLINE V Poly(D d, V x, const float (&c)[N]) {
  using T = hn::TFromD<D>;
  V y = hn::Set(d, static_cast<T>(c[N - 1]));
  for (size_t i = N - 1; i != 0; --i) y = hn::MulAdd(y, x, hn::Set(d, static_cast<T>(c[i - 1])));
  return y;
}

// The same as even(x^2) + x odd(x^2): half the dependency chain. N must be even.
template <size_t N, class D, class V>
HWY_INLINE V PolyEvenOdd(D d, V x, const float (&c)[N]) {
  static_assert(N % 2 == 0, "N must be even");
  using T = hn::TFromD<D>;
  const V x2 = hn::Mul(x, x);
  V even = hn::Set(d, static_cast<T>(c[N - 2]));
  V odd = hn::Set(d, static_cast<T>(c[N - 1]));
  for (size_t i = N - 2; i != 0; i -= 2) {
    even = hn::MulAdd(even, x2, hn::Set(d, static_cast<T>(c[i - 2])));
    odd = hn::MulAdd(odd, x2, hn::Set(d, static_cast<T>(c[i - 1])));
  }
  return hn::MulAdd(odd, x, even);
}

// The same by Estrin's scheme, for 10 coefficients: a shorter chain than PolyEvenOdd where
// MulAdd is two operations.
template <class D, class V>
HWY_INLINE V PolyEstrin10(D d, V x, const float (&c)[10]) {
  using T = hn::TFromD<D>;
  V p[5];
  for (size_t i = 0; i < 5; ++i) {
    p[i] = hn::MulAdd(hn::Set(d, static_cast<T>(c[2 * i + 1])), x,
                      hn::Set(d, static_cast<T>(c[2 * i])));
  }
  const V x2 = hn::Mul(x, x);
  const V x4 = hn::Mul(x2, x2);
  const V p0123 = hn::MulAdd(p[1], x2, p[0]);
  const V p4567 = hn::MulAdd(p[3], x2, p[2]);
  return hn::MulAdd(hn::Mul(p[4], x4), x4, hn::MulAdd(p4567, x4, p0123));
}

// erfc and, from the same exponential, the Gaussian exp(-(a + a_lo)^2). A caller that ignores
// `gauss` pays nothing for it once inlined.
template <class V>
struct ErfcGauss {
  V erfc, gauss;
};

// 2^kScaleLog2 erfc(a + a_lo) and 2^kScaleLog2 exp(-(a + a_lo)^2) in float for
// 0 <= a <= 10.22 or NaN, given two_a_lo = 2 a_lo (|a_lo| <= ulp(a), the rounding error of a
// computed argument): a_lo enters exp(-a^2), where an error in a is multiplied by 2 a^2; its
// effect on the slowly varying rest, relative |a_lo / a| < 2^-24, is left out. Max error 2 ULP
// with FMA (every float a in [0, kMaxArg] checked on AVX2); without FMA (only used where
// double is unavailable), more.
template <int kScaleLog2, class D, class V>
HWY_INLINE ErfcGauss<V> ErfcCore(D d, V a, V two_a_lo) {
  const hn::RebindToUnsigned<D> du;
  const V one = hn::Set(d, 1.0f);

  // The longest dependency chain first.
  const V kb = hn::Set(d, kB);
  const V psi = PolyEvenOdd(d, hn::Div(hn::Sub(a, kb), hn::Add(a, kb)), kPsi);

  // exp(-a^2) = 2^-m exp(r), m = round(a^2 / ln2) in [0, 147], r = m ln2 - a^2, |r| < 0.3466.
  // kf = 1.5 * 2^23 + 127 + 32 + kScaleLog2 - m, whose low mantissa bits are the exponent field
  // of 2^(32 + kScaleLog2 - m), a normal float.
  static_assert(kScaleLog2 <= 0 && kScaleLog2 >= -8, "2^(32 + kScaleLog2 - m) must be normal");
  const V a2_round = hn::Mul(a, a);
  const V shifter = hn::Set(d, 12582912.0f + 127 + 32 + kScaleLog2);
  const V kf = hn::NegMulAdd(a2_round, hn::Set(d, static_cast<float>(kLog2E)), shifter);
  const V mf = hn::Sub(shifter, kf);  // m, exact
  // (a + a_lo)^2 = a2 + a2_lo, exact up to a_lo^2.
#if HWY_NATIVE_FMA
  const V a2 = a2_round;
  const V a2_lo = hn::MulAdd(a, two_a_lo, hn::MulSub(a, a, a2));
#else
  // a_hi has 12 significant bits, so a_hi^2 is exact.
  const V a_hi = hn::BitCast(d, hn::And(hn::BitCast(du, a), hn::Set(du, 0xFFFFF000u)));
  const V a2 = hn::Mul(a_hi, a_hi);
  const V a2_lo = hn::MulAdd(a, two_a_lo, hn::Mul(hn::Sub(a, a_hi), hn::Add(a, a_hi)));
#endif
  // ln2 = kLn2Hi + kLn2Lo; kLn2Hi has 15 significant bits, so m kLn2Hi is exact, and so is r_hi
  // (a multiple of 2^-25 below 1/2 in magnitude).
  const V r_hi = hn::MulSub(mf, hn::Set(d, 0.693145751953125f), a2);
  const V r = hn::Add(r_hi, hn::MulSub(mf, hn::Set(d, 1.428606820e-06f), a2_lo));

  // t = 2^-32 / (1 + kP a), computed as 1 / w with w = 2^32 (1 + kP a) rounded. The division's
  // rounding error is rho = 1 - w t (exact with FMA): 1 / w = t (1 + rho), a factor that goes
  // into exp as r_m = r + rho (exp is still expanded at r; the difference, about rho r / 2, is
  // below 2^-26). The rounding error of w itself is left in (up to 0.5 ULP).
  const V w = hn::MulAdd(a, hn::Set(d, kP * 4294967296.0f), hn::Set(d, 4294967296.0f));
  const V t = hn::Div(one, w);
  const V r_m = hn::Add(r, hn::NegMulAdd(w, t, one));

  const V e = Poly(d, r, kExp);

  // (1 + psi) exp(r_m) = 1 + s, s = psi + r_m e (1 + psi); the result is t (1 + s) 2^(32 +
  // kScaleLog2 - m). t 2^(32 + kScaleLog2 - m) is exact unless it is subnormal (a > 9.2), where the
  // double rounding costs up to 1 subnormal ULP (and erfc(10.06) = 2^-149).
  const V s = hn::MulAdd(hn::MulAdd(r_m, psi, r_m), e, psi);
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(du, kf)));  // 2^(32 + k - m)
  const V t_scaled = hn::Mul(t, scale);
  // exp(-a^2) = 2^-m (1 + r e); 2^(32 + k - m) (1 + r e) is normal and 2^-32 is applied last.
  const V gauss = hn::Mul(hn::MulAdd(hn::Mul(r, e), scale, scale), hn::Set(d, 0x1p-32f));
  return {hn::MulAdd(t_scaled, s, t_scaled), gauss};
}

// The same in double, where `a` holds a float: double precision makes every step accurate
// enough without the compensations of ErfcCore, and the result is rounded to float once.
// Returns erfc(a) and exp(-a^2) (kScaleLog2 and a_lo are applied by the caller).
template <class DD, class VD>
HWY_INLINE ErfcGauss<VD> ErfcCoreDouble(DD dd, VD a) {
  const hn::RebindToUnsigned<DD> du;
  const VD one = hn::Set(dd, 1.0);
  const VD kb = hn::Set(dd, static_cast<double>(kB));
  const VD psi = PolyEstrin10(dd, hn::Div(hn::Sub(a, kb), hn::Add(a, kb)), kPsi);
  const VD a2 = hn::Mul(a, a);                                // exact
  const VD shifter = hn::Set(dd, 6755399441055744.0 + 1023);  // 1.5 * 2^52 + bias
  const VD kf = hn::NegMulAdd(a2, hn::Set(dd, kLog2E), shifter);
  const VD r = hn::MulSub(hn::Sub(shifter, kf), hn::Set(dd, 0.6931471805599453), a2);
  const VD scale = hn::BitCast(dd, hn::ShiftLeft<52>(hn::BitCast(du, kf)));  // 2^-m
  const VD t = hn::Div(scale, hn::MulAdd(a, hn::Set(dd, static_cast<double>(kP)), one));
  const VD e = PolyEvenOdd(dd, r, kExp);
  return {hn::Mul(hn::MulAdd(hn::MulAdd(r, psi, r), e, hn::Add(psi, one)), t),
          hn::Mul(hn::MulAdd(r, e, one), scale)};
}

}  // namespace erfc_detail

// min(limit, v) per lane, NaN kept.
template <class D, class V>
HWY_INLINE V MinKeepNaN(D d, float limit, V v) {
  const V l = hn::Set(d, limit);
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  return hn::Min(l, v);  // MINPS returns its second operand if either is NaN
#else
  return hn::IfThenElse(hn::Gt(v, l), l, v);
#endif
}

namespace erfc_detail {

// 2^kScaleLog2 erfc(a + a_lo) and 2^kScaleLog2 exp(-(a + a_lo)^2) for float lanes, from
// 0 <= a <= 10.22 (or NaN) and two_a_lo = 2 a_lo: ErfcCore with FMA, its double form without.
template <int kScaleLog2, class D, class V>
HWY_INLINE ErfcGauss<V> ErfcNonNegative(D d, V a, V two_a_lo) {
#if HWY_NATIVE_FMA || !HWY_HAVE_FLOAT64
  return ErfcCore<kScaleLog2>(d, a, two_a_lo);
#else
  // a + a_lo and the scaling are exact in double; each result is rounded to float once.
  constexpr double kScale = kScaleLog2 == 0 ? 1.0 : 1.0 / (1 << -kScaleLog2);
  const auto in_double = [](auto dd, auto lo, auto lo2) {
    const auto arg = hn::MulAdd(hn::PromoteTo(dd, lo2), hn::Set(dd, 0.5), hn::PromoteTo(dd, lo));
    const auto r = ErfcCoreDouble(dd, arg);
    const auto k = hn::Set(dd, kScale);
    return ErfcGauss<decltype(arg)>{hn::Mul(r.erfc, k), hn::Mul(r.gauss, k)};
  };
#if HWY_TARGET == HWY_SCALAR
  const hn::Rebind<double, D> dd;
  const auto r = in_double(dd, a, two_a_lo);
  return {hn::DemoteTo(d, r.erfc), hn::DemoteTo(d, r.gauss)};
#else
  if constexpr (hn::MaxLanes(d) * sizeof(double) <= HWY_MAX_BYTES) {
    const hn::Rebind<double, D> dd;
    const auto r = in_double(dd, a, two_a_lo);
    return {hn::DemoteTo(d, r.erfc), hn::DemoteTo(d, r.gauss)};
  } else {
    const hn::Half<D> dh;
    const hn::Rebind<double, decltype(dh)> dd;
    const auto lo = in_double(dd, hn::LowerHalf(dh, a), hn::LowerHalf(dh, two_a_lo));
    const auto hi = in_double(dd, hn::UpperHalf(dh, a), hn::UpperHalf(dh, two_a_lo));
    return {hn::Combine(d, hn::DemoteTo(dh, hi.erfc), hn::DemoteTo(dh, lo.erfc)),
            hn::Combine(d, hn::DemoteTo(dh, hi.gauss), hn::DemoteTo(dh, lo.gauss))};
  }
#endif
#endif
}

}  // namespace erfc_detail

// erfc(x) for float lanes, any x. Max error 2 ULP versus erfc computed in double and rounded
// (measured by tests/act/erfc_ulp_check.cpp on AVX2, SSE4, SSSE3 and SCALAR, every float in
// [0, 10.1] included; AVX-512 targets compile but were not run), relative over the whole range
// including the tail and x < 0 (erfc -> 2); results below 2^-126 (x > 9.19) within 2 subnormal
// ULP. NaN -> NaN, +inf -> 0, -inf -> 2, +-0 -> 1.
template <class D, class V>
HWY_INLINE V Erfc(D d, V x) {
  const V a = MinKeepNaN(d, erfc_detail::kMaxArg, hn::Abs(x));
  const V e = erfc_detail::ErfcNonNegative<0>(d, a, hn::Zero(d)).erfc;
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Sub(hn::Set(d, 2.0f), e), e);
}

// The largest argument HalfErfcAndGauss takes. There both results are 0 in float (erfc / 2
// rounds to 0 above 10.06, exp(-a^2) / 2 above 10.19), so that callers clamping an infinite
// argument to it see exactly 0.
constexpr float kMaxHalfErfcArg = 10.22f;

// The normal distribution's lower tail and density at -a sqrt(2), for float lanes:
// h = erfc(a + a_lo) / 2 and gauss = exp(-(a + a_lo)^2) / 2 (the density is gauss sqrt(2 / pi)),
// from 0 <= a <= kMaxHalfErfcArg or NaN and two_a_lo = 2 a_lo, where a_lo is the rounding error
// of a computed argument (|a_lo| <= ulp(a)). h has Erfc's error bound; gauss is within 2 ULP
// (one exponential, rounded twice).
template <class D, class V>
HWY_INLINE erfc_detail::ErfcGauss<V> HalfErfcAndGauss(D d, V a, V two_a_lo) {
  return erfc_detail::ErfcNonNegative<-1>(d, a, two_a_lo);
}

// erf(x) for float lanes, any x. Max error 1 ULP versus erf computed in double and rounded
// (measured as for Erfc). NaN -> NaN, +-inf -> +-1, erf(-0) = -0.
template <class D, class V>
HWY_INLINE V Erf(D d, V x) {
  // |x| < 0.9: erf(x) = x + x y(x^2), y = erf(x) / x - 1, fitted like kPsi for the relative
  // error of erf: 8.8e-10. Otherwise erf(x) = +-(1 - erfc(|x|)).
  static constexpr float kY[7] = {1.283791661e-01f,  -3.761262894e-01f, 1.128362417e-01f,
                                  -2.685556002e-02f, 5.191753153e-03f,  -8.039752720e-04f,
                                  7.943100354e-05f};
  const V ax = hn::Abs(x);
  const V small = hn::MulAdd(x, erfc_detail::Poly(d, hn::Mul(x, x), kY), x);
  const V large = hn::CopySignToAbs(
      hn::Sub(hn::Set(d, 1.0f), erfc_detail::ErfcNonNegative<0>(
                                    d, MinKeepNaN(d, erfc_detail::kMaxArg, ax), hn::Zero(d))
                                    .erfc),
      x);
  return hn::IfThenElse(hn::Lt(ax, hn::Set(d, 0.9f)), small, large);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_ERFC_INL_H_
