// Vectorized erfc(x) (and erf(x)) for float lanes, for every Highway target.
//
// Per-target header: include it after "hwy/highway.h" from a translation unit that uses
// HWY_TARGET_INCLUDE + "hwy/foreach_target.h" (or from static-dispatch code).
//
// Branch-free, one formula for all x. With a = min(|x|, 10.1) and v = 1 + 1.375 a,
//   erfc(a) = exp(-a^2) (1 + psi(q)) / v,   q = (a - 2.5) / (a + 2.5) in [-1, 0.61],
// where 1 + psi = v exp(a^2) erfc(a) stays within [0.9, 1.08] and psi is a polynomial in q;
// erfc(x) = 2 - erfc(-x) for x < 0. Everything that is not small is exact: a^2 is carried as
// a2 + a2_lo, the rounding errors of v and of 1 / v are folded into the argument of exp, and
// the result is T + T S, T ~ 1 / v, with the single rounding of the final FMA. Where lanes have
// no FMA, the same formula is evaluated in double.

// Per-target include guard (same convention as hwy/contrib/math/math-inl.h).
#if defined(RECTIFY_ACT_SIMD_ERFC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_ERFC_INL_H_
#undef RECTIFY_ACT_SIMD_ERFC_INL_H_
#else
#define RECTIFY_ACT_SIMD_ERFC_INL_H_
#endif

#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace erfc_detail {

// Where erfc(a) underflows to 0 in float (a > 10.0542); larger a are clamped to this.
constexpr float kMaxArg = 10.1f;

// 1 / v is computed as 2^-kPreScale / v, and exp(-a^2) = 2^-m exp(r) is scaled by
// 2^(kPreScale - m) at the end (a normal float for all m <= 148): the last multiplication is
// then the only operation that can round to a subnormal.
constexpr int kPreScale = 32;

template <typename T>
struct FloatTraits;
template <>
struct FloatTraits<float> {
  using Bits = uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr float kShifter = 12582912.0f + 127 + kPreScale;  // 1.5 * 2^23 + bias
};
template <>
struct FloatTraits<double> {
  using Bits = uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr double kShifter = 6755399441055744.0 + 1023 + kPreScale;  // 1.5 * 2^52 + ...
};

// erfc(a) for 0 <= a <= kMaxArg or NaN, in float (needs FMA for the stated accuracy) or double.
template <class D, class V>
HWY_INLINE V ErfcCore(D d, V a) {
  using T = hn::TFromD<D>;
  using Traits = FloatTraits<T>;
  const hn::RebindToUnsigned<D> du;

  // a^2 = a2 + a2_lo exactly; m below is chosen from a2_round = a^2 rounded.
  const V a2_round = hn::Mul(a, a);
#if HWY_NATIVE_FMA
  const V a2 = a2_round;
  const V a2_lo = hn::MulSub(a, a, a2);
#else
  V a2 = a2_round;  // exact in double: `a` holds a float
  V a2_lo = hn::Zero(d);
  if constexpr (sizeof(T) == 4) {
    // a_hi has 12 significant bits, so a_hi^2 is exact.
    const V a_hi = hn::BitCast(d, hn::And(hn::BitCast(du, a), hn::Set(du, 0xFFFFF000u)));
    a2 = hn::Mul(a_hi, a_hi);
    a2_lo = hn::Mul(hn::Sub(a, a_hi), hn::Add(a, a_hi));
  }
#endif

  // exp(-a^2) = 2^-m exp(r), m = round(a2 / ln2) in [0, 148], r = m ln2 - a^2 (+ rho below),
  // |r| < 0.3466. kf = kShifter - m; its low mantissa bits hold the exponent field of
  // 2^(kPreScale - m).
  const V shifter = hn::Set(d, static_cast<T>(Traits::kShifter));
  const V kf = hn::NegMulAdd(a2_round, hn::Set(d, static_cast<T>(1.4426950408889634)), shifter);
  const V mf = hn::Sub(shifter, kf);  // exact
  // ln2 = kLn2Hi + kLn2Lo; kLn2Hi has 15 significant bits, so mf * kLn2Hi is exact and so is
  // r_hi (a multiple of ulp(a2) >= 2^-25, below 1/2 in magnitude).
  const V r_hi = hn::MulSub(mf, hn::Set(d, static_cast<T>(0.693145751953125)), a2);
  const V r_lo = hn::MulSub(mf, hn::Set(d, static_cast<T>(1.4286068203094172e-06)), a2_lo);

  const V r = hn::Add(r_hi, r_lo);

  // t = 2^-kPreScale / v for v = 1 + 1.375 a, computed as 1 / w with w = 2^kPreScale v. w rounds,
  // but w_lo = 2^kPreScale + 1.375 2^kPreScale a - w is exact with FMA (2^kPreScale - w is exact
  // because w >= 2^kPreScale), and so is rho = 1 - (w + w_lo) t up to terms below 2^-48. Then
  // 1 / v = 2^kPreScale t (1 + rho), and the factor 1 + rho goes into exp as r_m = r + rho (exp
  // is expanded at r; the difference, rho r e'(r), is below 2^-25).
  const T kP = static_cast<T>(1.375);
  const T k2PreScale = static_cast<T>(1ull << kPreScale);
  const V pre = hn::Set(d, k2PreScale);
  const V w = hn::MulAdd(a, hn::Set(d, kP * k2PreScale), pre);
  const V w_lo = hn::MulAdd(a, hn::Set(d, kP * k2PreScale), hn::Sub(pre, w));
  const V t = hn::Div(hn::Set(d, static_cast<T>(1.0)), w);
  const V rho = hn::NegMulAdd(w_lo, t, hn::NegMulAdd(w, t, hn::Set(d, static_cast<T>(1.0))));
  const V r_m = hn::Add(r, rho);

  // exp(r) = 1 + r e(r); minimax fit of the relative error of exp on |r| <= 0.3468 with float
  // coefficients (3.2e-9).
  V e = hn::Set(d, static_cast<T>(1.382041955e-03f));
  e = hn::MulAdd(e, r, hn::Set(d, static_cast<T>(8.368680254e-03f)));
  e = hn::MulAdd(e, r, hn::Set(d, static_cast<T>(4.166826978e-02f)));
  e = hn::MulAdd(e, r, hn::Set(d, static_cast<T>(1.666652113e-01f)));
  e = hn::MulAdd(e, r, hn::Set(d, static_cast<T>(4.999999404e-01f)));
  e = hn::MulAdd(e, r, hn::Set(d, static_cast<T>(1.0)));

  // 1 + psi(q) = (1 + 1.375 a) exp(a^2) erfc(a), a = 2.5 (1 + q) / (1 - q). Weighted minimax
  // fit (Lawson-reweighted least squares on 3000 Chebyshev nodes, reference mpmath) of the
  // relative error of 1 + psi, coefficients rounded to float one at a time from the constant
  // term up, refitting the others: 1.3e-8.
  const V kB = hn::Set(d, static_cast<T>(2.5));
  const V q = hn::Div(hn::Sub(a, kB), hn::Add(a, kB));
  V psi = hn::Set(d, static_cast<T>(2.992741065e-04f));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(2.950769849e-04f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(-2.700372366e-03f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(-1.246628235e-04f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(2.127020992e-02f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(-5.832674354e-02f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(6.929775327e-02f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(1.058195625e-02f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(-2.002879977e-01f)));
  psi = hn::MulAdd(psi, q, hn::Set(d, static_cast<T>(-6.454677135e-02f)));

  // (1 + psi) exp(r_m) = 1 + s, s = psi + r_m e (1 + psi); result 2^kPreScale t (1 + s) 2^-m.
  const V s = hn::MulAdd(hn::MulAdd(r_m, psi, r_m), e, psi);
  const V scale = hn::BitCast(d, hn::ShiftLeft<Traits::kMantissaBits>(hn::BitCast(du, kf)));
  const V t_scaled = hn::Mul(t, scale);  // exact
  return hn::MulAdd(t_scaled, s, t_scaled);
}

// erfc(|x|) for float lanes, from |x| (or NaN).
template <class D, class V>
HWY_INLINE V ErfcNonNegative(D d, V ax) {
  const V a_max = hn::Set(d, kMaxArg);
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  const V a = hn::Min(a_max, ax);  // MINPS returns its second operand if either is NaN
#else
  const V a = hn::IfThenElse(hn::Gt(ax, a_max), a_max, ax);  // keeps NaN
#endif
#if HWY_NATIVE_FMA || !HWY_HAVE_FLOAT64
  return ErfcCore(d, a);
#else
  // Without FMA the compensations above are not exact; in double they are not needed.
#if HWY_TARGET == HWY_SCALAR
  const hn::Rebind<double, D> dd;
  return hn::DemoteTo(d, ErfcCore(dd, hn::PromoteTo(dd, a)));
#else
  if constexpr (hn::MaxLanes(d) * sizeof(double) <= HWY_MAX_BYTES) {
    const hn::Rebind<double, D> dd;
    return hn::DemoteTo(d, ErfcCore(dd, hn::PromoteTo(dd, a)));
  } else {
    const hn::Half<D> dh;
    const hn::Rebind<double, decltype(dh)> dd;
    const auto lo = hn::DemoteTo(dh, ErfcCore(dd, hn::PromoteTo(dd, hn::LowerHalf(dh, a))));
    const auto hi = hn::DemoteTo(dh, ErfcCore(dd, hn::PromoteTo(dd, hn::UpperHalf(dh, a))));
    return hn::Combine(d, hi, lo);
  }
#endif
#endif
}

}  // namespace erfc_detail

// erfc(x) for float lanes, any x. Max error 2 ULP versus erfc computed in double and rounded
// (measured by tests/act/erfc_ulp_check.cpp on AVX2, SSE4, SSSE3 and SCALAR; AVX-512 targets
// compile but were not run), relative over the whole range including the tail (x up to ~10.05,
// where erfc underflows to 0; subnormal results within 1 subnormal ULP) and x < 0 (erfc -> 2).
// NaN -> NaN, +inf -> 0, -inf -> 2, +-0 -> 1.
template <class D, class V>
HWY_INLINE V Erfc(D d, V x) {
  const hn::RebindToUnsigned<D> du;
  const auto sign = hn::And(hn::BitCast(du, x), hn::Set(du, 0x80000000u));
  const V e = erfc_detail::ErfcNonNegative(d, hn::Abs(x));
  // x < 0 (or -0): 2 - e; 2.0f is the sign bit shifted right by one.
  return hn::Add(hn::BitCast(d, hn::ShiftRight<1>(sign)), hn::BitCast(d, hn::Xor(hn::BitCast(du, e), sign)));
}

// erf(x) for float lanes, any x. Max error 1 ULP versus erf computed in double and rounded
// (measured as for Erfc). NaN -> NaN, +-inf -> +-1, erf(-0) = -0.
template <class D, class V>
HWY_INLINE V Erf(D d, V x) {
  // |x| < 0.9: erf(x) = x + x y(x^2), y = erf(x) / x - 1 (minimax fit of the relative error of
  // erf, fitted as psi above: 8.8e-10). Otherwise erf(x) = +-(1 - erfc(|x|)).
  const V ax = hn::Abs(x);
  const V s = hn::Mul(x, x);
  V y = hn::Set(d, 7.943100354e-05f);
  y = hn::MulAdd(y, s, hn::Set(d, -8.039752720e-04f));
  y = hn::MulAdd(y, s, hn::Set(d, 5.191753153e-03f));
  y = hn::MulAdd(y, s, hn::Set(d, -2.685556002e-02f));
  y = hn::MulAdd(y, s, hn::Set(d, 1.128362417e-01f));
  y = hn::MulAdd(y, s, hn::Set(d, -3.761262894e-01f));
  y = hn::MulAdd(y, s, hn::Set(d, 1.283791661e-01f));
  const V small = hn::MulAdd(x, y, x);
  const V large =
      hn::CopySignToAbs(hn::Sub(hn::Set(d, 1.0f), erfc_detail::ErfcNonNegative(d, ax)), x);
  return hn::IfThenElse(hn::Lt(ax, hn::Set(d, 0.9f)), small, large);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_ERFC_INL_H_
