// The accuracy check shared by the sampled and the exhaustive ULP tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace testing {

// Every function held to ULP bounds rather than bit-exactness, from the registry.
inline std::vector<Activation> smooth_cases() {
  return registry_cases([](const FunctionInfo& f) { return !f.exact; });
}

// Inputs: every `stride`-th bit pattern from `first`, plus the special values.
inline std::vector<float> bit_patterns(std::uint64_t first, std::uint64_t last,
                                       std::uint64_t stride) {
  std::vector<float> x;
  for (std::uint64_t b = first; b < last; b += stride) {
    x.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  }
  for (float s : special_values()) x.push_back(s);
  return x;
}

// The contract (README, "Accuracy"): N ULP where |f(x)| >= 2^-100; below that, in the far
// tail where intermediates underflow, the error is at most FLT_MIN absolute.
inline constexpr double kTinyResult = 0x1p-100;
inline std::int64_t value_error(float got, float want) {
  if (std::fabs(want) < kTinyResult && !std::isnan(got)) {
    return std::fabs(static_cast<double>(got) - want) <= FLT_MIN ? 0 : ulp_distance(got, want);
  }
  return ulp_distance(got, want);
}

struct Worst {
  std::int64_t ulp = 0;
  float x = 0, got = 0, want = 0;
  void update(std::int64_t u, float xi, float g, float w) {
    if (u > ulp) *this = {u, xi, g, w};
  }
  std::string text() const {
    return std::to_string(ulp) + " ULP at x = " + describe(x) + ": got " + describe(got) +
           ", want " + describe(want);
  }
};

// Where the double reference's gradient changes sign (dy = 1), found on [-64, 64].
inline std::vector<double> gradient_roots(const Activation& a) {
  const auto g = [&](double x) { return ref::backward(a, x, 1.0); };
  std::vector<double> roots;
  constexpr double kStep = 1.0 / 256;
  for (double lo = -64; lo < 64; lo += kStep) {
    double l = lo, h = lo + kStep;
    if (!(g(l) * g(h) < 0)) continue;
    for (int i = 0; i < 80; ++i) {
      const double m = (l + h) / 2;
      (g(l) * g(m) <= 0 ? h : l) = m;
    }
    roots.push_back((l + h) / 2);
  }
  return roots;
}

// Backward error in ULP of dx. Within the registry's root_window of a root of the gradient dx
// has no relative precision to keep, and an error up to the bound in units of |dy| FLT_EPSILON
// is forgiven; elsewhere the bound holds strictly.
inline std::int64_t gradient_error(float got, float want, float dy, int bound, bool near_root) {
  const auto ulp = value_error(got, want);
  if (!near_root || ulp <= bound || std::isnan(got) || std::isnan(want)) return ulp;
  const double abs_err = std::fabs(static_cast<double>(got) - static_cast<double>(want));
  return abs_err <= bound * static_cast<double>(FLT_EPSILON) * std::fabs(dy) ? bound : ulp;
}

// Whether x lies within `window` of one of `roots`.
inline bool near_any(const std::vector<double>& roots, double window, float x) {
  for (const double r : roots) {
    if (std::fabs(static_cast<double>(x) - r) <= window) return true;
  }
  return false;
}

inline void check_accuracy(const Activation& a, const std::vector<float>& x,
                           bool every_target = true) {
  const auto& meta = info(a.fn());
  const auto roots = gradient_roots(a);
  const std::size_t n = x.size();
  std::vector<float> y(n), dx(n), dy(n);
  for (std::size_t i = 0; i < n; ++i)
    dy[i] = (i % 3 == 0) ? 1.0f : 0.75f - 0.001f * static_cast<float>(i % 1000);
  const auto check = [&] {
    forward(a, x, y);
    Worst fwd;
    for (std::size_t i = 0; i < n; ++i) {
      const float want = static_cast<float>(ref::forward(a, static_cast<double>(x[i])));
      // At x = +-0 the sign of the zero result is part of the contract too.
      const bool zero_sign_differs = x[i] == 0 && std::signbit(y[i]) != std::signbit(want);
      fwd.update(
          zero_sign_differs ? std::numeric_limits<std::int64_t>::max() : value_error(y[i], want),
          x[i], y[i], want);
    }
    EXPECT_LE(fwd.ulp, meta.max_ulp_forward) << a.to_string() << " forward: " << fwd.text();

    backward(a, x, dy, dx);
    Worst bwd;
    for (std::size_t i = 0; i < n; ++i) {
      const float want = static_cast<float>(
          ref::backward(a, static_cast<double>(x[i]), static_cast<double>(dy[i])));
      bwd.update(gradient_error(dx[i], want, dy[i], meta.max_ulp_backward,
                                near_any(roots, meta.root_window, x[i])),
                 x[i], dx[i], want);
    }
    EXPECT_LE(bwd.ulp, meta.max_ulp_backward) << a.to_string() << " backward: " << bwd.text();

    if (a.has_backward_from_output()) {
      backward_from_output(a, y, dy, dx);
      Worst out;
      for (std::size_t i = 0; i < n; ++i) {
        const float want = static_cast<float>(
            ref::backward_from_output(a, static_cast<double>(y[i]), static_cast<double>(dy[i])));
        // y rounded to float has lost what the gradient needs where it nears its limit (tanh
        // and sigmoid at +-1 and 1, elu at -alpha): the |dy| allowance holds everywhere here.
        out.update(gradient_error(dx[i], want, dy[i], meta.max_ulp_backward, true), y[i], dx[i],
                   want);
      }
      EXPECT_LE(out.ulp, meta.max_ulp_backward)
          << a.to_string() << " backward_from_output (x is y here): " << out.text();
    }
  };
  if (every_target) {
    for_each_target([&](const std::string&) { check(); });
  } else {
    check();
  }
}

}  // namespace testing
}  // namespace rectify
