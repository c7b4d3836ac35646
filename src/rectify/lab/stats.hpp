// The statistics of the lab's verdicts, over seeds: the median with the range, and a paired
// comparison of two functions run with the same seeds (same initial weights' generator, same
// data order): the exact sign test and a bootstrap interval of the mean difference.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rectify::lab {

// Median, smallest and largest of the finite values (NaN: none is finite).
struct Spread {
  double median = 0, low = 0, high = 0;
  std::size_t count = 0;
};
Spread spread(const std::vector<double>& values);

// a[i] - b[i] over the seeds i where both are finite.
struct PairedTest {
  std::size_t pairs = 0, above = 0, below = 0;  // a > b, a < b (ties count in neither)
  double mean_difference = 0;
  double ci_low = 0, ci_high = 0;  // 95% percentile bootstrap interval of the mean difference
  // One-sided exact sign tests: P(at least `above` of above + below fair coin flips) and the
  // same for `below`. Ties are left out, as the sign test does.
  double p_above = 1, p_below = 1;
};

// The bootstrap draws 10000 resamples from a fixed seed: the same data give the same interval.
PairedTest paired_test(const std::vector<double>& a, const std::vector<double>& b);

// P(X >= k) for X ~ Binomial(n, 1/2), exactly.
double sign_test_p(std::size_t k, std::size_t n);

// Which way a paired test points at level alpha (one-sided): +1 (a above b), -1, or 0.
int direction(const PairedTest& t, double alpha = 0.05);

// "+2.1 [+1.5, +2.6] points, 5 of 5 seeds above (sign test p = 0.031)", the differences scaled by
// `scale` (100 for fractions shown as points) and written with `unit`.
std::string describe(const PairedTest& t, double scale, const std::string& unit);

}  // namespace rectify::lab
