// Standalone accuracy and speed check for rectify::HWY_NAMESPACE::FastExp / FastExpm1
// (src/rectify/act/simd/exp-inl.h) on every Highway target that this CPU supports.
//
// Build (from the repository root):
//   g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -I. -Isrc
//       tests/act/exp_ulp_check.cpp -o /tmp/exp_ulp_check -lhwy
// Run:
//   /tmp/exp_ulp_check [--quick] [--no-bench]
//
// Accuracy: compares against std::exp / std::expm1 evaluated in double and rounded to float, over
// every 7th float bit pattern (--quick: every 997th), a dense sweep of [-20, 20], every float in
// the worst region of expm1 and every float around the range boundaries, and prints the max ULP
// error per target and function (overall, for the fast path |x| <= 87.5, and for inputs whose
// reference result is subnormal) and where it occurs. ULP distance: float bits mapped
// sign-magnitude -> monotonic integer, so one ULP is one float step, also across zero and in the
// subnormal range. Special values (NaN, +-inf, +-0, tiny, saturation, overflow) must be bit-exact.
// Speed: Gelem/s over 64K floats in [-10, 10], one thread, median of repetitions, for FastExp,
// FastExpm1, hn::Exp and hn::Expm1, and for an elu-like kernel (x <= 0 ? expm1(x) : x, out of
// place) with FastExpm1 and with hn::Expm1.
// Exit status is nonzero if FastExp exceeds 1 ULP, FastExpm1 exceeds 2 ULP, a special value is
// wrong or dispatch misbehaves. Takes ~35 s on a 2-core Zen 3 (--quick: ~1 s).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/act/exp_ulp_check.cpp"
#define HWY_COMPILE_ALL_ATTAINABLE
#include "hwy/foreach_target.h"  // IWYU pragma: keep

// Must come after foreach_target.h.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "rectify/act/simd/exp-inl.h"

#ifndef RECTIFY_TESTS_ACT_EXP_ULP_CHECK_ONCE_
#define RECTIFY_TESTS_ACT_EXP_ULP_CHECK_ONCE_
namespace rectify_check {
// Function ids for Eval.
enum : int { kFastExp, kFastExpm1, kHwyExp, kHwyExpm1, kEluFast, kEluHwy, kNumFuncs };
}  // namespace rectify_check
#endif

HWY_BEFORE_NAMESPACE();
namespace rectify_check {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct FastExpOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return rectify::HWY_NAMESPACE::FastExp(d, v);
  }
};
struct FastExpm1Op {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return rectify::HWY_NAMESPACE::FastExpm1(d, v);
  }
};
struct HwyExpOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return hn::Exp(d, v);
  }
};
struct HwyExpm1Op {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return hn::Expm1(d, v);
  }
};
// elu with alpha = 1: x <= 0 ? expm1(x) : x.
template <class Expm1>
struct EluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return hn::IfThenElse(hn::Le(v, hn::Zero(d)), Expm1()(d, v), v);
  }
};

template <class Op>
HWY_INLINE void Loop(const float* HWY_RESTRICT in, float* HWY_RESTRICT out, size_t count) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t i = 0; i < count; i += N) {
    hn::StoreU(Op()(d, hn::LoadU(d, in + i)), d, out + i);
  }
}

// Evaluates function `which` on `count` floats; `count` must be a multiple of 16. Returns the
// target that ran.
int64_t Eval(const float* HWY_RESTRICT in, float* HWY_RESTRICT out, size_t count, int which) {
  switch (which) {
    case kFastExp:
      Loop<FastExpOp>(in, out, count);
      break;
    case kFastExpm1:
      Loop<FastExpm1Op>(in, out, count);
      break;
    case kHwyExp:
      Loop<HwyExpOp>(in, out, count);
      break;
    case kHwyExpm1:
      Loop<HwyExpm1Op>(in, out, count);
      break;
    case kEluFast:
      Loop<EluOp<FastExpm1Op>>(in, out, count);
      break;
    case kEluHwy:
      Loop<EluOp<HwyExpm1Op>>(in, out, count);
      break;
    default:
      break;
  }
  return HWY_TARGET;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectify_check
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>
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

namespace {

constexpr uint64_t kMaxUlpExp = 1;
constexpr uint64_t kMaxUlpExpm1 = 2;
constexpr size_t kChunk = 1 << 16;  // multiple of every vector length
constexpr size_t kMaxTargets = 16;
const char* const kFuncNames[kNumFuncs] = {"FastExp",   "FastExpm1", "hn::Exp",
                                           "hn::Expm1", "elu/Fast",  "elu/hwy"};

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
  const bool nan_a = std::isnan(a);
  const bool nan_b = std::isnan(b);
  if (nan_a | nan_b) return (nan_a & nan_b) ? 0 : std::numeric_limits<uint64_t>::max();
  const int64_t diff = Ordinal(a) - Ordinal(b);
  return static_cast<uint64_t>(diff < 0 ? -diff : diff);
}

struct Stats {
  uint64_t max_ulp = 0;
  float worst_x = 0.0f;
  float worst_got = 0.0f;
  float worst_want = 0.0f;
  uint64_t count = 0;  // number of inputs in the category
  uint64_t over1 = 0;  // number of results more than 1 ULP off

  // Only called for results that differ from the reference in their bits.
  void AddError(float x, float got, float want, uint64_t ulp) {
    over1 += ulp > 1;
    if (ulp > max_ulp) {
      max_ulp = ulp;
      worst_x = x;
      worst_got = got;
      worst_want = want;
    }
  }

  void Print(const char* label) const {
    if (max_ulp == 0) {
      std::printf("    %-22s max 0 ULP (all %llu exact)\n", label,
                  static_cast<unsigned long long>(count));
      return;
    }
    std::printf(
        "    %-22s max %llu ULP at x=%.9g (0x%08x): got %.9g want %.9g; >1 ULP: %llu of %llu\n",
        label, static_cast<unsigned long long>(max_ulp), static_cast<double>(worst_x),
        ToBits(worst_x), static_cast<double>(worst_got), static_cast<double>(worst_want),
        static_cast<unsigned long long>(over1), static_cast<unsigned long long>(count));
  }
};

// Per target: [0] FastExp, [1] FastExpm1; overall, fast path |x| <= 87.5, and inputs whose
// reference result is subnormal.
struct TargetStats {
  Stats all[2];
  Stats fast_range[2];
  Stats subnormal[2];
};

bool InFastRange(float x) {
  return (ToBits(x) & 0x7FFFFFFFu) <= 0x42AF0000u;
}  // |x| <= 87.5

bool IsSubnormal(float y) {
  return (ToBits(y) & 0x7FFFFFFFu) - 1u < 0x007FFFFFu;
}

// Accuracy inputs are processed in chunks: the references are computed once per chunk and
// every target is run on it.
class Checker {
 public:
  explicit Checker(const std::vector<int64_t>& targets)
      : targets_(targets),
        stats_(targets.size()),
        padded_(hwy::AllocateAligned<float>(kChunk)),
        out_(hwy::AllocateAligned<float>(kChunk)),
        want_exp_(kChunk),
        want_expm1_(kChunk) {}

  void Add(float x) {
    buf_.push_back(x);
    if (buf_.size() == kChunk) Flush();
  }

  void Flush() {
    const size_t n = buf_.size();
    if (n == 0) return;
    for (size_t i = 0; i < n; ++i) {
      const float x = buf_[i];
      if (std::isnan(x) || std::fabs(x) >= 128.0f) {
        // Saves half the run time (libm's overflow / underflow / NaN paths are slow). exp(128) >
        // 2^184 overflows, exp(-128) < 2^-184 rounds to +0 and expm1(-128) to -1.
        const float inf = std::numeric_limits<float>::infinity();
        want_exp_[i] = std::isnan(x) ? x : x > 0.0f ? inf : 0.0f;
        want_expm1_[i] = std::isnan(x) ? x : x > 0.0f ? inf : -1.0f;
        continue;
      }
      const double dx = static_cast<double>(x);
      want_exp_[i] = static_cast<float>(std::exp(dx));
      want_expm1_[i] = static_cast<float>(std::expm1(dx));
    }
    std::memcpy(padded_.get(), buf_.data(), n * sizeof(float));
    const size_t rounded = (n + 15) & ~size_t{15};
    for (size_t i = n; i < rounded; ++i) padded_[i] = 0.0f;
    // Category sizes do not depend on the target.
    uint64_t num_fast = 0;
    uint64_t num_sub[2] = {0, 0};
    for (size_t i = 0; i < n; ++i) {
      num_fast += InFastRange(buf_[i]);
      num_sub[0] += IsSubnormal(want_exp_[i]);
      num_sub[1] += IsSubnormal(want_expm1_[i]);
    }
    for (size_t t = 0; t < targets_.size(); ++t) {
      hwy::SetSupportedTargetsForTest(targets_[t]);
      for (int f = 0; f < 2; ++f) {
        HWY_DYNAMIC_DISPATCH(Eval)(padded_.get(), out_.get(), rounded, f);
        const float* want = f == 0 ? want_exp_.data() : want_expm1_.data();
        TargetStats& st = stats_[t];
        st.all[f].count += n;
        st.fast_range[f].count += num_fast;
        st.subnormal[f].count += num_sub[f];
        for (size_t i = 0; i < n; ++i) {
          if (HWY_LIKELY(ToBits(out_[i]) == ToBits(want[i]))) continue;
          const float x = buf_[i];
          const uint64_t ulp = UlpDistance(out_[i], want[i]);
          if (ulp == 0) continue;  // NaNs with different payloads
          st.all[f].AddError(x, out_[i], want[i], ulp);
          if (InFastRange(x)) st.fast_range[f].AddError(x, out_[i], want[i], ulp);
          if (IsSubnormal(want[i])) st.subnormal[f].AddError(x, out_[i], want[i], ulp);
        }
      }
    }
    buf_.clear();
  }

  const TargetStats& stats(size_t t) const { return stats_[t]; }

 private:
  std::vector<int64_t> targets_;
  std::vector<TargetStats> stats_;
  std::vector<float> buf_;
  hwy::AlignedFreeUniquePtr<float[]> padded_;
  hwy::AlignedFreeUniquePtr<float[]> out_;
  std::vector<float> want_exp_;
  std::vector<float> want_expm1_;
};

void AddInputs(Checker& checker, bool quick) {
  // Strided sweep of all 2^32 bit patterns.
  const uint64_t stride = quick ? 997 : 7;
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += stride) {
    checker.Add(FromBits(static_cast<uint32_t>(u)));
  }
  // Dense sweep of [-20, 20].
  const int steps = quick ? 200000 : 4000000;
  for (int i = 0; i <= steps; ++i) {
    checker.Add(static_cast<float>(-20.0 + 40.0 * static_cast<double>(i) / steps));
  }
  // Every float in [0.34, 0.4]: n = 1 with r near -ln2/2, where expm1 has its worst errors
  // (--quick: every 13th).
  for (uint32_t u = ToBits(0.34f); u <= ToBits(0.4f); u += quick ? 13 : 1) checker.Add(FromBits(u));
  // Every float around the boundaries: n changes (+-ln2/2), fast-path limit, overflow, subnormal
  // results, underflow to zero, expm1 saturation, and the smallest subnormal inputs.
  for (const float b : {0.34657359f, 1.03972077f, 17.3286795f, 87.3365479f, 87.5f, 88.3762626f,
                        88.7228394f, 103.278931f, 103.972076f, 104.0f, 1.0e-37f}) {
    for (int s = -1; s <= 1; s += 2) {
      const uint32_t c = ToBits(static_cast<float>(s) * b);
      for (uint32_t u = c - 3000; u <= c + 3000; ++u) checker.Add(FromBits(u));
    }
  }
  for (uint32_t u = 0; u < 3000; ++u) {
    checker.Add(FromBits(u));
    checker.Add(FromBits(u | 0x80000000u));
  }
  checker.Flush();
}

// Bit-exact checks (NaN only needs to be a NaN), once with the values mixed in vectors (so that
// vectors with a NaN / inf / huge lane take the slow path for all lanes) and once with each value
// alone in a vector (so that the values in the fast range take the fast path).
bool CheckSpecials(const char* target_name) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  constexpr size_t kNum = 32;
  const float in[kNum] = {nan,     -nan,    inf,    -inf,    0.0f,    -0.0f,   1e-45f,  -1e-45f,
                          1e-38f,  -1e-38f, 1e-30f, -1e-30f, 1e-10f,  -1e-10f, 1.0f,    -1.0f,
                          -17.34f, -17.5f,  -20.0f, -87.6f,  -100.0f, -104.0f, -105.0f, -1e30f,
                          88.72f,  88.73f,  89.0f,  100.0f,  1e30f,   3.4e38f, 0.5f,    -0.5f};
  alignas(64) float buf[kNum];
  alignas(64) float out[kNum];
  bool ok = true;
  for (int f = 0; f < 2; ++f) {
    for (int alone = 0; alone < 2; ++alone) {
      if (!alone) {
        std::memcpy(buf, in, sizeof(buf));
        HWY_DYNAMIC_DISPATCH(Eval)(buf, out, kNum, f);
      } else {
        for (size_t i = 0; i < kNum; ++i) {
          for (size_t j = 0; j < 16; ++j) buf[j] = in[i];
          HWY_DYNAMIC_DISPATCH(Eval)(buf, buf + 16, 16, f);
          out[i] = buf[16];
        }
      }
      for (size_t i = 0; i < kNum; ++i) {
        const double dx = static_cast<double>(in[i]);
        const float want = static_cast<float>(f == 0 ? std::exp(dx) : std::expm1(dx));
        bool same = ToBits(want) == ToBits(out[i]);
        if (std::isnan(want)) same = std::isnan(out[i]);
        // exp(-100) is subnormal; like all subnormal results it need only be within 1 ULP.
        if (f == 0 && in[i] == -100.0f) same = UlpDistance(out[i], want) <= 1;
        if (!same) {
          std::printf("  %-8s special %s(%g) = %g (0x%08x), want %g (0x%08x)%s\n", target_name,
                      kFuncNames[f], dx, static_cast<double>(out[i]), ToBits(out[i]),
                      static_cast<double>(want), ToBits(want), alone ? " (alone)" : "");
          ok = false;
        }
      }
    }
  }
  return ok;
}

// Gelem/s of every function over 64K floats in [-10, 10]: median of repetitions. The functions
// take turns within each repetition so that they all see the same clock and load conditions.
void BenchGelemPerSec(const float* in, float* out, double* gelem_per_sec) {
  constexpr int kReps = 61;
  static double ns[kNumFuncs][kReps];
  // Warm up (~10 ms): page faults, caches, clock ramp.
  const auto warm_start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - warm_start < std::chrono::milliseconds(10)) {
    for (int f = 0; f < kNumFuncs; ++f) HWY_DYNAMIC_DISPATCH(Eval)(in, out, kChunk, f);
  }
  for (int rep = 0; rep < kReps; ++rep) {
    for (int f = 0; f < kNumFuncs; ++f) {
      const auto t0 = std::chrono::steady_clock::now();
      HWY_DYNAMIC_DISPATCH(Eval)(in, out, kChunk, f);
      const auto t1 = std::chrono::steady_clock::now();
      ns[f][rep] = std::chrono::duration<double, std::nano>(t1 - t0).count();
    }
  }
  for (int f = 0; f < kNumFuncs; ++f) {
    std::nth_element(ns[f], ns[f] + kReps / 2, ns[f] + kReps);
    gelem_per_sec[f] = static_cast<double>(kChunk) / ns[f][kReps / 2];
  }
}

}  // namespace
}  // namespace rectify_check

int main(int argc, char** argv) {
  using namespace rectify_check;  // NOLINT(google-build-using-namespace)
  bool quick = false;
  bool bench = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--no-bench") == 0) bench = false;
  }

  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  if (targets.size() > kMaxTargets) targets.resize(kMaxTargets);

  bool ok = true;
  // Dispatch sanity and special values.
  for (const int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    alignas(64) const float probe_in[16] = {};
    alignas(64) float probe_out[16];
    const int64_t ran = HWY_DYNAMIC_DISPATCH(Eval)(probe_in, probe_out, 16, kFastExp);
    if (ran != target) {
      std::printf("dispatch mismatch: wanted %s, ran %s\n", hwy::TargetName(target),
                  hwy::TargetName(ran));
      ok = false;
    }
    const bool specials_ok = CheckSpecials(hwy::TargetName(target));
    std::printf("%-8s specials %s\n", hwy::TargetName(target), specials_ok ? "ok" : "FAIL");
    ok = ok && specials_ok;
  }

  // Accuracy.
  const auto t0 = std::chrono::steady_clock::now();
  Checker checker(targets);
  AddInputs(checker, quick);
  std::printf("accuracy sweep: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  for (size_t t = 0; t < targets.size(); ++t) {
    const TargetStats& st = checker.stats(t);
    for (int f = 0; f < 2; ++f) {
      const uint64_t limit = f == 0 ? kMaxUlpExp : kMaxUlpExpm1;
      std::printf("%-8s %-9s max %llu ULP (limit %llu)\n", hwy::TargetName(targets[t]),
                  kFuncNames[f], static_cast<unsigned long long>(st.all[f].max_ulp),
                  static_cast<unsigned long long>(limit));
      st.all[f].Print("all inputs");
      st.fast_range[f].Print("|x| <= 87.5");
      st.subnormal[f].Print("subnormal reference");
      ok = ok && st.all[f].max_ulp <= limit;
    }
  }

  // Speed.
  if (bench) {
    auto in = hwy::AllocateAligned<float>(kChunk);
    auto out = hwy::AllocateAligned<float>(kChunk);
    for (size_t i = 0; i < kChunk; ++i) {
      in[i] = -10.0f + 20.0f * static_cast<float>(i) / static_cast<float>(kChunk);
    }
    // Shuffle deterministically so that the elu branch pattern is not trivially predictable
    // (it does not matter for the branch-free SIMD code, but keeps the data honest).
    uint32_t seed = 12345;
    for (size_t i = kChunk - 1; i > 0; --i) {
      seed = seed * 1664525u + 1013904223u;
      std::swap(in[i], in[seed % (i + 1)]);
    }
    std::printf("Gelem/s, 64K floats in [-10, 10], median of 61 (one thread):\n");
    std::printf("%-8s", "target");
    for (int f = 0; f < kNumFuncs; ++f) std::printf(" %10s", kFuncNames[f]);
    std::printf("\n");
    for (const int64_t target : targets) {
      hwy::SetSupportedTargetsForTest(target);
      double gelem_per_sec[kNumFuncs];
      BenchGelemPerSec(in.get(), out.get(), gelem_per_sec);
      std::printf("%-8s", hwy::TargetName(target));
      for (int f = 0; f < kNumFuncs; ++f) std::printf(" %10.3f", gelem_per_sec[f]);
      std::printf("   (x%.2f, x%.2f, elu x%.2f)\n",
                  gelem_per_sec[kFastExp] / gelem_per_sec[kHwyExp],
                  gelem_per_sec[kFastExpm1] / gelem_per_sec[kHwyExpm1],
                  gelem_per_sec[kEluFast] / gelem_per_sec[kEluHwy]);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

#endif  // HWY_ONCE
