#include "rectify/lab/stats.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace rectify::lab {

Spread spread(const std::vector<double>& values) {
  std::vector<double> v;
  for (const double x : values) {
    if (std::isfinite(x)) v.push_back(x);
  }
  if (v.empty()) return {NAN, NAN, NAN, 0};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double median = n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return {median, v.front(), v.back(), n};
}

double sign_test_p(std::size_t k, std::size_t n) {
  if (k == 0) return 1.0;
  if (k > n) return 0.0;
  // sum_{i >= k} C(n, i) / 2^n, in logs so that large n stays finite.
  double p = 0;
  for (std::size_t i = k; i <= n; ++i) {
    const double log_c = std::lgamma(static_cast<double>(n) + 1) -
                         std::lgamma(static_cast<double>(i) + 1) -
                         std::lgamma(static_cast<double>(n - i) + 1);
    p += std::exp(log_c - static_cast<double>(n) * std::log(2.0));
  }
  return std::min(p, 1.0);
}

PairedTest paired_test(const std::vector<double>& a, const std::vector<double>& b) {
  PairedTest t;
  std::vector<double> d;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) continue;
    d.push_back(a[i] - b[i]);
    t.above += a[i] > b[i];
    t.below += a[i] < b[i];
  }
  t.pairs = d.size();
  if (d.empty()) return t;
  double sum = 0;
  for (const double x : d) sum += x;
  t.mean_difference = sum / static_cast<double>(d.size());
  // Percentile bootstrap. Indices from the generator's raw output (not a distribution object,
  // whose algorithm differs between standard libraries): the same interval everywhere.
  constexpr int kResamples = 10000;
  std::mt19937_64 rng(20171016);
  std::vector<double> means(kResamples);
  for (auto& m : means) {
    double s = 0;
    for (std::size_t j = 0; j < d.size(); ++j) s += d[rng() % d.size()];
    m = s / static_cast<double>(d.size());
  }
  std::sort(means.begin(), means.end());
  t.ci_low = means[static_cast<std::size_t>(0.025 * kResamples)];
  t.ci_high = means[static_cast<std::size_t>(0.975 * kResamples) - 1];
  const std::size_t n = t.above + t.below;
  t.p_above = sign_test_p(t.above, n);
  t.p_below = sign_test_p(t.below, n);
  return t;
}

int direction(const PairedTest& t, double alpha) {
  if (t.p_above < alpha) return 1;
  if (t.p_below < alpha) return -1;
  return 0;
}

std::string describe(const PairedTest& t, double scale, const std::string& unit) {
  if (t.pairs == 0) return "no pairs of finished runs";
  const bool up = t.above >= t.below;
  return fmt::format("{:+.{}f} [{:+.{}f}, {:+.{}f}]{}, {} of {} seeds {} (sign test p = {:.3f})",
                     scale * t.mean_difference, scale == 1 ? 3 : 1, scale * t.ci_low,
                     scale == 1 ? 3 : 1, scale * t.ci_high, scale == 1 ? 3 : 1, unit,
                     up ? t.above : t.below, t.pairs, up ? "above" : "below",
                     up ? t.p_above : t.p_below);
}

}  // namespace rectify::lab
