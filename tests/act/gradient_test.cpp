// The scalar reference's derivative agrees with central finite differences of its value, in
// double, away from the kinks; the SIMD backward follows the reference (the other suites).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

std::vector<Activation> all_cases() {
  auto cases = testing::registry_cases();
  for (const char* spec : {"leaky_relu:-0.3", "elu:2", "celu:0.5", "celu:3", "prelu:-0.1"}) {
    cases.push_back(Activation::parse(spec));
  }
  return cases;
}

// Points where a piecewise function has a kink or jump: finite differences do not apply.
bool near_kink(const Activation& a, double x, double h) {
  std::vector<double> at = kinks(a);
  at.push_back(0.0);  // every piecewise definition switches there
  for (double k : at) {
    if (std::fabs(x - k) <= 2 * h) return true;
  }
  return false;
}

class Gradient : public ::testing::TestWithParam<Activation> {};

TEST_P(Gradient, ReferenceDerivativeMatchesCentralDifferences) {
  const Activation a = GetParam();
  int checked = 0;
  for (double x = -12.0; x <= 12.0; x += 0.0625 + 1e-3) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x));
    if (near_kink(a, x, h)) continue;
    const double fd = (ref::forward(a, x + h) - ref::forward(a, x - h)) / (2 * h);
    const double analytic = ref::backward(a, x, 1.0);
    EXPECT_NEAR(analytic, fd, 1e-6 * std::max(1.0, std::fabs(fd))) << a.to_string() << " at " << x;
    if (a.has_backward_from_output()) {
      EXPECT_NEAR(ref::backward_from_output(a, ref::forward(a, x), 1.0), analytic,
                  1e-12 * std::max(1.0, std::fabs(analytic)))
          << a.to_string() << " from the output at " << x;
    }
    ++checked;
  }
  EXPECT_GT(checked, 300);
}

TEST(Gradient, CreluSecondHalfIsTheNegatedRelu) {
  // d/dx relu(-x) = -1 for x < 0, 0 for x > 0.
  std::vector<float> x = {-2.0f, -0.5f, 0.5f, 2.0f}, dy = {0, 0, 0, 0, 1, 1, 1, 1}, dx(4);
  backward(Activation::parse("crelu"), x, dy, dx);
  EXPECT_EQ(dx, (std::vector<float>{-1.0f, -1.0f, 0.0f, 0.0f}));
}

INSTANTIATE_TEST_SUITE_P(Family, Gradient, ::testing::ValuesIn(all_cases()), testing::case_name);

}  // namespace
}  // namespace rectify
