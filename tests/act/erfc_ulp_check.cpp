// Standalone accuracy check for rectify::HWY_NAMESPACE::Erfc / Erf
// (src/rectify/act/simd/erfc-inl.h) on every Highway target that this CPU supports.
//
// Build (from the repository root):
//   g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -I. -Isrc
//       tests/act/erfc_ulp_check.cpp -o /tmp/erfc_ulp_check -lhwy
// Run:
//   /tmp/erfc_ulp_check [--quick] [--bench]
//
// It compares against std::erfc / std::erf evaluated in double and rounded to float, over every
// 97th float bit pattern, a dense sweep of [-10.5, 10.5], every float in [0.75, 1.5] (where the
// worst errors are), the underflow region and the special values, and prints the max ULP error
// per target (overall and per piece of the approximation) and where it occurs. Exit status is
// nonzero if any error exceeds kMaxUlpAllowed, a special value is wrong or dispatch misbehaves.
// Takes ~20 s (--quick: < 1 s).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/act/erfc_ulp_check.cpp"
#define HWY_COMPILE_ALL_ATTAINABLE
#include "hwy/foreach_target.h"  // IWYU pragma: keep

// Must come after foreach_target.h.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "rectify/act/simd/erfc-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rectify_check {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Evaluates erfc (which == 0) or erf (which == 1) on `count` floats; `count` must be a multiple
// of 16. Returns the target that ran.
int64_t EvalErfcOrErf(const float* HWY_RESTRICT in, float* HWY_RESTRICT out, size_t count,
                      int which) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t i = 0; i < count; i += N) {
    const auto v = hn::LoadU(d, in + i);
    const auto r =
        which == 0 ? rectify::HWY_NAMESPACE::Erfc(d, v) : rectify::HWY_NAMESPACE::Erf(d, v);
    hn::StoreU(r, d, out + i);
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

HWY_EXPORT(EvalErfcOrErf);
HWY_EXPORT(FloatLanes);

namespace {

constexpr uint64_t kMaxUlpAllowed = 2;  // measured maximum on AVX2/SSE4/SSSE3/EMU128/SCALAR
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

// Intervals of x (the pieces of the approximation) for the per-interval breakdown.
constexpr float kEdges[] = {-1.25f, -0.84375f, 0.25f, 0.84375f, 1.25f};
constexpr size_t kNumIntervals = sizeof(kEdges) / sizeof(kEdges[0]) + 1;
const char* const kIntervalNames[kNumIntervals] = {
    "x<-1.25", "-1.25<=x<-0.84", "-0.84<=x<0.25", "0.25<=x<0.84", "0.84<=x<1.25", "x>=1.25"};

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
  return static_cast<float>(which == 0 ? std::erfc(dx) : std::erf(dx));
}

// Runs the chosen target on in[0, n) (n <= kChunk) and accumulates errors.
void CheckChunk(const float* in, size_t n, int which, float* out, float* padded, Stats& st,
                Stats* per_interval) {
  std::memcpy(padded, in, n * sizeof(float));
  for (size_t i = n; i < kChunk; ++i) padded[i] = 0.0f;
  const size_t rounded = (n + 15) & ~size_t{15};
  HWY_DYNAMIC_DISPATCH(EvalErfcOrErf)(padded, out, rounded, which);
  for (size_t i = 0; i < n; ++i) {
    const float want = Reference(in[i], which);
    Accumulate(st, in[i], out[i], want);
    if (!std::isnan(in[i])) Accumulate(per_interval[IntervalOf(in[i])], in[i], out[i], want);
  }
}

// Generates the inputs besides the strided bit patterns: a dense sweep of [-10.5, 10.5], floats
// near the erfc underflow threshold, and every float near the boundaries between the pieces.
std::vector<float> DenseInputs(bool quick) {
  std::vector<float> v;
  const int steps = quick ? 200000 : 4000000;
  for (int i = 0; i <= steps; ++i) {
    v.push_back(static_cast<float>(-10.5 + 21.0 * static_cast<double>(i) / steps));
  }
  // Every float in [0.75, 1.5] (where the worst errors are; --quick: every 13th).
  for (uint32_t u = ToBits(0.75f); u <= ToBits(1.5f); u += quick ? 13 : 1) v.push_back(FromBits(u));
  // Every float in [9.0, 10.1] (erfc subnormal / underflow region) sampled at stride 7.
  for (uint32_t u = ToBits(9.0f); u <= ToBits(10.1f); u += 7) v.push_back(FromBits(u));
  // Every float around the region boundaries.
  for (const float b : {0.25f, 0.5f, 0.84375f, 1.25f, 2.857142925f, 6.0f, 10.5f, 28.0f}) {
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
  const float in[16] = {nan,    -nan,    inf,    -inf,  0.0f,   -0.0f, 1e-45f, -1e-45f,
                        1e-38f, -1e-38f, 10.06f, 11.0f, -11.0f, 1e30f, -1e30f, 3.4e38f};
  alignas(64) float buf[16];
  alignas(64) float out[16];
  std::memcpy(buf, in, sizeof(buf));
  HWY_DYNAMIC_DISPATCH(EvalErfcOrErf)(buf, out, 16, which);
  bool ok = true;
  for (size_t i = 0; i < 16; ++i) {
    const float want = Reference(in[i], which);
    // Exact match required, including the sign of zero for erf(+-0).
    const bool same = std::isnan(want) ? std::isnan(out[i]) : ToBits(want) == ToBits(out[i]);
    if (!same) {
      std::printf("    special %s(%g) = %g (0x%08x), want %g (0x%08x)\n",
                  which == 0 ? "erfc" : "erf", static_cast<double>(in[i]),
                  static_cast<double>(out[i]), ToBits(out[i]), static_cast<double>(want),
                  ToBits(want));
      ok = false;
    }
  }
  return ok;
}

double BenchNsPerVector(size_t lanes) {
  const size_t n = kChunk;
  auto in = hwy::AllocateAligned<float>(n);
  auto out = hwy::AllocateAligned<float>(n);
  for (size_t i = 0; i < n; ++i) in[i] = -6.0f + 12.0f * static_cast<float>(i) / n;
  double best = 1e30;
  for (int rep = 0; rep < 30; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    HWY_DYNAMIC_DISPATCH(EvalErfcOrErf)(in.get(), out.get(), n, 0);
    const auto t1 = std::chrono::steady_clock::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    if (ns < best) best = ns;
  }
  return best / static_cast<double>(n / lanes);
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
      const int64_t ran = HWY_DYNAMIC_DISPATCH(EvalErfcOrErf)(probe_in, probe_out, 16, 0);
      if (ran != target) {
        std::printf("dispatch mismatch: wanted %s, ran %s\n", hwy::TargetName(target),
                    hwy::TargetName(ran));
        ok = false;
      }
    }
    for (int which = 0; which < 2; ++which) {
      Stats st;
      Stats per_interval[kNumIntervals];
      // Strided sweep of all 2^32 bit patterns.
      size_t n = 0;
      for (uint64_t u = 0; u < (uint64_t{1} << 32); u += stride) {
        in[n++] = FromBits(static_cast<uint32_t>(u));
        if (n == kChunk) {
          CheckChunk(in.get(), n, which, out.get(), padded.get(), st, per_interval);
          n = 0;
        }
      }
      if (n != 0) CheckChunk(in.get(), n, which, out.get(), padded.get(), st, per_interval);
      for (size_t i = 0; i < dense.size(); i += kChunk) {
        const size_t m = dense.size() - i < kChunk ? dense.size() - i : kChunk;
        CheckChunk(dense.data() + i, m, which, out.get(), padded.get(), st, per_interval);
      }
      const bool specials_ok = CheckSpecials(which);
      std::printf(
          "%-8s %-4s max %llu ULP at x=%.9g (0x%08x): got %.9g want %.9g; >1 ULP: %llu of %llu"
          "; specials %s\n",
          hwy::TargetName(target), which == 0 ? "erfc" : "erf",
          static_cast<unsigned long long>(st.max_ulp), static_cast<double>(st.worst_x),
          ToBits(st.worst_x), static_cast<double>(st.worst_got), static_cast<double>(st.worst_want),
          static_cast<unsigned long long>(st.over1), static_cast<unsigned long long>(st.count),
          specials_ok ? "ok" : "FAIL");
      for (size_t k = 0; k < kNumIntervals; ++k) {
        std::printf("    %-15s max %llu ULP at x=%.9g; >1 ULP: %llu of %llu\n", kIntervalNames[k],
                    static_cast<unsigned long long>(per_interval[k].max_ulp),
                    static_cast<double>(per_interval[k].worst_x),
                    static_cast<unsigned long long>(per_interval[k].over1),
                    static_cast<unsigned long long>(per_interval[k].count));
      }
      ok = ok && specials_ok && st.max_ulp <= kMaxUlpAllowed;
    }
    if (bench) {
      const size_t lanes = HWY_DYNAMIC_DISPATCH(FloatLanes)();
      std::printf("%-8s erfc %.2f ns per %zu-lane vector\n", hwy::TargetName(target),
                  BenchNsPerVector(lanes), lanes);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

#endif  // HWY_ONCE
