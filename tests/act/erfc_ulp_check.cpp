// Standalone accuracy and speed check for rectify::HWY_NAMESPACE::Erfc / Erf
// (src/rectify/act/simd/erfc-inl.h) on every Highway target that this CPU supports.
//
// Build (from the repository root):
//   g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -I. -Isrc
//       tests/act/erfc_ulp_check.cpp -o /tmp/erfc_ulp_check -lhwy
// Run:
//   /tmp/erfc_ulp_check [--quick] [--bench]
//
// It compares against std::erfc / std::erf evaluated in double and rounded to float, over every
// 97th float bit pattern, a dense sweep of [-10.5, 10.5], every float in [0.25, 10.1] for erfc
// (below 0.25 erfc is within 2^-2 of 1, and the 97th patterns cover it well), every float near
// the points where the evaluation changes, and the special values; it prints the max ULP error
// per target (overall and per interval) and where it occurs. Exit status is nonzero if any error
// exceeds kMaxUlpAllowed, a special value is wrong or dispatch misbehaves. --bench also times
// Erfc against the previous implementation (fdlibm's s_erff.c, copied below as ErfcLegacy).
// Takes ~12 s (--quick: < 1 s, every 61st float of [0.25, 10.1]).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/act/erfc_ulp_check.cpp"
#define HWY_COMPILE_ALL_ATTAINABLE
#include "hwy/foreach_target.h"  // IWYU pragma: keep

// Must come after foreach_target.h.
#include "hwy/highway.h"
#include "rectify/act/simd/erfc-inl.h"

#ifndef RECTIFY_TESTS_ACT_ERFC_ULP_CHECK_WHICH_
#define RECTIFY_TESTS_ACT_ERFC_ULP_CHECK_WHICH_
namespace rectify_check {
enum Which : int { kErfc = 0, kErf = 1, kErfcLegacy = 2 };
}  // namespace rectify_check
#endif

HWY_BEFORE_NAMESPACE();
namespace rectify_check {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The previous implementation of Erfc, for --bench: a branch-free port of the float erfc of
// Sun's fdlibm as found in FreeBSD/musl (s_erff.c), which carries the following notice:
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
namespace legacy_detail {

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

}  // namespace legacy_detail

// The previous Erfc (2 ULP).
template <class D, class V>
HWY_INLINE V ErfcLegacy(D d, V x) {
  const legacy_detail::ErfPieces<V> p = legacy_detail::ComputePieces(d, x);
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

// Evaluates erfc, erf or the previous erfc on `count` floats; `count` must be a multiple of 16.
// Returns the target that ran.
int64_t Eval(const float* HWY_RESTRICT in, float* HWY_RESTRICT out, size_t count, int which) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  if (which == kErfc) {
    for (size_t i = 0; i < count; i += N) {
      hn::StoreU(rectify::HWY_NAMESPACE::Erfc(d, hn::LoadU(d, in + i)), d, out + i);
    }
  } else if (which == kErf) {
    for (size_t i = 0; i < count; i += N) {
      hn::StoreU(rectify::HWY_NAMESPACE::Erf(d, hn::LoadU(d, in + i)), d, out + i);
    }
  } else {
    for (size_t i = 0; i < count; i += N) {
      hn::StoreU(ErfcLegacy(d, hn::LoadU(d, in + i)), d, out + i);
    }
  }
  return HWY_TARGET;
}

size_t FloatLanes() {
  return hn::Lanes(hn::ScalableTag<float>());
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify_check
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/targets.h"

namespace rectify_check {

HWY_EXPORT(Eval);
HWY_EXPORT(FloatLanes);

namespace {

constexpr uint64_t kMaxUlpAllowed = 2;  // measured maximum on AVX2/SSE4/SSSE3/SCALAR
constexpr size_t kChunk = 1 << 16;      // multiple of every vector length

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

uint32_t ToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

// Maps the float bit pattern to a monotonic integer line (sign-magnitude -> two's complement).
int64_t Ordinal(float f) {
  const uint32_t u = ToBits(f);
  const int64_t mag = static_cast<int64_t>(u & 0x7FFFFFFFu);
  return (u >> 31) ? -mag : mag;
}

uint64_t UlpDistance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) {
    return (std::isnan(a) && std::isnan(b)) ? 0 : std::numeric_limits<uint64_t>::max();
  }
  const int64_t diff = Ordinal(a) - Ordinal(b);
  return static_cast<uint64_t>(diff < 0 ? -diff : diff);
}

struct Stats {
  uint64_t max_ulp = 0;
  float worst_x = 0.0f;
  float worst_got = 0.0f;
  float worst_want = 0.0f;
  uint64_t count = 0;
  uint64_t over1 = 0;  // number of results more than 1 ULP off
};

// Intervals of x for the per-interval breakdown: erf switches formulas at |x| = 0.9, and erfc
// results are subnormal above 9.1945.
constexpr float kEdges[] = {-0.9f, 0.0f, 0.9f, 4.0f, 9.1945f};
constexpr size_t kNumIntervals = sizeof(kEdges) / sizeof(kEdges[0]) + 1;
const char* const kIntervalNames[kNumIntervals] = {"x<-0.9",   "-0.9<=x<0", "0<=x<0.9",
                                                   "0.9<=x<4", "4<=x<9.19", "x>=9.19"};

size_t IntervalOf(float x) {
  size_t i = 0;
  while (i < kNumIntervals - 1 && !(x < kEdges[i])) ++i;
  return i;
}

void Accumulate(Stats& st, float x, float got, float want) {
  const uint64_t ulp = UlpDistance(got, want);
  ++st.count;
  if (ulp > 1) ++st.over1;
  if (ulp > st.max_ulp) {
    st.max_ulp = ulp;
    st.worst_x = x;
    st.worst_got = got;
    st.worst_want = want;
  }
}

float Reference(float x, int which) {
  const double dx = static_cast<double>(x);
  return static_cast<float>(which == kErf ? std::erf(dx) : std::erfc(dx));
}

// Runs the chosen target on in[0, n) (n <= kChunk) and accumulates errors.
void CheckChunk(const float* in, size_t n, int which, float* out, float* padded, Stats& st,
                Stats* per_interval) {
  std::memcpy(padded, in, n * sizeof(float));
  for (size_t i = n; i < kChunk; ++i) padded[i] = 0.0f;
  const size_t rounded = (n + 15) & ~size_t{15};
  HWY_DYNAMIC_DISPATCH(Eval)(padded, out, rounded, which);
  for (size_t i = 0; i < n; ++i) {
    const float want = Reference(in[i], which);
    Accumulate(st, in[i], out[i], want);
    if (!std::isnan(in[i])) Accumulate(per_interval[IntervalOf(in[i])], in[i], out[i], want);
  }
}

// Checks the floats with bit patterns first, first + stride, ..., up to last.
void CheckBitRange(uint64_t first, uint64_t last, uint64_t stride, int which, float* in, float* out,
                   float* padded, Stats& st, Stats* per_interval) {
  size_t n = 0;
  for (uint64_t u = first; u <= last; u += stride) {
    in[n++] = FromBits(static_cast<uint32_t>(u));
    if (n == kChunk) {
      CheckChunk(in, n, which, out, padded, st, per_interval);
      n = 0;
    }
  }
  if (n != 0) CheckChunk(in, n, which, out, padded, st, per_interval);
}

// Inputs besides the bit-pattern ranges: a dense sweep of [-10.5, 10.5] and every float near
// the points where the evaluation changes (erf's switch, q = 0, subnormal and zero results, the
// clamp).
std::vector<float> DenseInputs(bool quick) {
  std::vector<float> v;
  const int steps = quick ? 200000 : 4000000;
  for (int i = 0; i <= steps; ++i) {
    v.push_back(static_cast<float>(-10.5 + 21.0 * static_cast<double>(i) / steps));
  }
  for (const float b : {0.25f, 0.5f, 0.9f, 1.0f, 2.5f, 9.1945f, 10.0542f, 10.1f, 28.0f}) {
    for (int s = -1; s <= 1; s += 2) {
      const uint32_t c = ToBits(static_cast<float>(s) * b);
      for (uint32_t u = c - 2000; u <= c + 2000; ++u) v.push_back(FromBits(u));
    }
  }
  return v;
}

bool CheckSpecials(int which) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float in[16] = {nan,    -nan,    inf,   -inf,  0.0f,   -0.0f, 1e-45f, -1e-45f,
                        1e-38f, -1e-38f, 10.5f, 11.0f, -11.0f, 1e30f, -1e30f, 3.4e38f};
  alignas(64) float buf[16];
  alignas(64) float out[16];
  std::memcpy(buf, in, sizeof(buf));
  HWY_DYNAMIC_DISPATCH(Eval)(buf, out, 16, which);
  bool ok = true;
  for (size_t i = 0; i < 16; ++i) {
    const float want = Reference(in[i], which);
    // Exact match required, including the sign of zero for erf(+-0).
    const bool same = std::isnan(want) ? std::isnan(out[i]) : ToBits(want) == ToBits(out[i]);
    if (!same) {
      std::printf("    special %s(%g) = %g (0x%08x), want %g (0x%08x)\n",
                  which == kErf ? "erf" : "erfc", static_cast<double>(in[i]),
                  static_cast<double>(out[i]), ToBits(out[i]), static_cast<double>(want),
                  ToBits(want));
      ok = false;
    }
  }
  return ok;
}

// Best-of-30 time of Erfc and of ErfcLegacy (interleaved) on 64K floats in [-6, 6], in ns per
// vector of `lanes` floats.
void BenchNsPerVector(size_t lanes, double* ns_new, double* ns_legacy) {
  const size_t n = kChunk;
  auto in = hwy::AllocateAligned<float>(n);
  auto out = hwy::AllocateAligned<float>(n);
  for (size_t i = 0; i < n; ++i) in[i] = -6.0f + 12.0f * static_cast<float>(i) / n;
  double best[2] = {1e30, 1e30};
  for (int rep = 0; rep < 30; ++rep) {
    for (int k = 0; k < 2; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      HWY_DYNAMIC_DISPATCH(Eval)(in.get(), out.get(), n, k == 0 ? kErfc : kErfcLegacy);
      const auto t1 = std::chrono::steady_clock::now();
      const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
      if (ns < best[k]) best[k] = ns;
    }
  }
  *ns_new = best[0] / static_cast<double>(n / lanes);
  *ns_legacy = best[1] / static_cast<double>(n / lanes);
}

}  // namespace
}  // namespace rectify_check

int main(int argc, char** argv) {
  using namespace rectify_check;  // NOLINT(google-build-using-namespace)
  bool quick = false;
  bool bench = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--bench") == 0) bench = true;
  }
  const uint64_t stride = quick ? 9973 : 97;
  const std::vector<float> dense = DenseInputs(quick);

  auto in = hwy::AllocateAligned<float>(kChunk);
  auto padded = hwy::AllocateAligned<float>(kChunk);
  auto out = hwy::AllocateAligned<float>(kChunk);

  bool ok = true;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    {
      alignas(64) const float probe_in[16] = {};
      alignas(64) float probe_out[16];
      const int64_t ran = HWY_DYNAMIC_DISPATCH(Eval)(probe_in, probe_out, 16, kErfc);
      if (ran != target) {
        std::printf("dispatch mismatch: wanted %s, ran %s\n", hwy::TargetName(target),
                    hwy::TargetName(ran));
        ok = false;
      }
    }
    for (const int which : {kErfc, kErf}) {
      Stats st;
      Stats per_interval[kNumIntervals];
      // Strided sweep of all 2^32 bit patterns.
      CheckBitRange(0, (uint64_t{1} << 32) - 1, stride, which, in.get(), out.get(), padded.get(),
                    st, per_interval);
      // erfc: every float in [0.25, 10.1].
      if (which == kErfc) {
        CheckBitRange(ToBits(0.25f), ToBits(10.1f), quick ? 61 : 1, which, in.get(), out.get(),
                      padded.get(), st, per_interval);
      }
      for (size_t i = 0; i < dense.size(); i += kChunk) {
        const size_t m = dense.size() - i < kChunk ? dense.size() - i : kChunk;
        CheckChunk(dense.data() + i, m, which, out.get(), padded.get(), st, per_interval);
      }
      const bool specials_ok = CheckSpecials(which);
      std::printf(
          "%-8s %-4s max %llu ULP at x=%.9g (0x%08x): got %.9g want %.9g; >1 ULP: %llu of %llu"
          "; specials %s\n",
          hwy::TargetName(target), which == kErf ? "erf" : "erfc",
          static_cast<unsigned long long>(st.max_ulp), static_cast<double>(st.worst_x),
          ToBits(st.worst_x), static_cast<double>(st.worst_got), static_cast<double>(st.worst_want),
          static_cast<unsigned long long>(st.over1), static_cast<unsigned long long>(st.count),
          specials_ok ? "ok" : "FAIL");
      for (size_t k = 0; k < kNumIntervals; ++k) {
        std::printf("    %-11s max %llu ULP at x=%.9g; >1 ULP: %llu of %llu\n", kIntervalNames[k],
                    static_cast<unsigned long long>(per_interval[k].max_ulp),
                    static_cast<double>(per_interval[k].worst_x),
                    static_cast<unsigned long long>(per_interval[k].over1),
                    static_cast<unsigned long long>(per_interval[k].count));
      }
      ok = ok && specials_ok && st.max_ulp <= kMaxUlpAllowed;
    }
    if (bench) {
      const size_t lanes = HWY_DYNAMIC_DISPATCH(FloatLanes)();
      double ns_new, ns_legacy;
      BenchNsPerVector(lanes, &ns_new, &ns_legacy);
      std::printf("%-8s erfc %.2f ns per %zu-lane vector (previous: %.2f ns, %.2fx)\n",
                  hwy::TargetName(target), ns_new, lanes, ns_legacy, ns_legacy / ns_new);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

#endif  // HWY_ONCE
