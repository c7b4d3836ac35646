// Parameters at the ends of their valid ranges: the float kernels must agree with the double
// reference there (no NaN from inf * 0, no infinity from a parameter that underflowed to 0), so
// the registry's ranges are only as wide as the kernels are right. Values outside them are
// refused by the parser.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "rectify/act/reference.hpp"
#include "test_support.hpp"

namespace rectify {
namespace {

using testing::error_of;
using testing::special_values;
using testing::ulp_distance;

// Candidate values of one parameter: its bounds and the extremes of float, each a float (the
// kernels' parameter is then the same number as the reference's), and values float cannot hold,
// which must be refused or work.
std::vector<double> extreme_values(const ParamInfo& p) {
  const std::vector<double> candidates = {
      p.min,    p.max,    p.default_value, 0.0,     1e-320, -1e-320, 1e-45,  -1e-45, FLT_MIN,
      -FLT_MIN, 1e-30f,   -1e-30f,         0.5,     -0.5,   1e30f,   -1e30f, 1e6,    -1e6,
      FLT_MAX,  -FLT_MAX, 3.5e38,          -3.5e38, 1e300,  -1e300,  1e308,  -1e308};
  std::vector<double> allowed;
  for (const double v : candidates) {
    if (p.allows(v)) allowed.push_back(v);
  }
  return allowed;
}

// Close enough for a parameter at an extreme: a few ULP, or a tiny relative or absolute error
// (far tails underflow inside the kernels); NaN only where the reference is NaN.
bool agrees(float kernel, double reference) {
  const auto r = static_cast<float>(reference);
  if (ulp_distance(kernel, r) <= 64) return true;
  if (std::isnan(kernel) || std::isnan(r) || std::isinf(kernel) || std::isinf(r)) return false;
  // Below FLT_MIN in magnitude, accurate to FLT_MIN absolute (as the README states for tails).
  return std::fabs(double(kernel) - reference) <= 1e-5 * std::fabs(reference) + FLT_MIN;
}

void check(const Activation& a) {
  SCOPED_TRACE(a.to_string());
  if (!fusable(a)) return;  // no single-span forward
  const auto x = special_values();
  std::vector<float> y(x.size()), dy(x.size(), 1.0f), dx(x.size());
  forward(a, x, y);
  backward(a, x, dy, dx);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double rf = ref::forward<double>(a, x[i]);
    const double rb = ref::backward<double>(a, x[i], 1.0);
    EXPECT_TRUE(agrees(y[i], rf)) << "forward at x = " << x[i] << ": " << y[i] << ", reference "
                                  << rf;
    EXPECT_TRUE(agrees(dx[i], rb))
        << "backward at x = " << x[i] << ": " << dx[i] << ", reference " << rb;
  }
}

TEST(ExtremeParams, KernelsAgreeWithTheReferenceAtTheEndsOfEveryRange) {
  testing::for_each_target([](const std::string&) {
    for (const auto& f : registry()) {
      for (std::size_t i = 0; i < f.params.size(); ++i) {
        for (const double v : extreme_values(f.params[i])) {
          // The parameter by name, the others at their defaults.
          const std::string spec = fmt::format("{}:{}={}", f.name, f.params[i].name, v);
          try {
            check(Activation::parse(spec));
          } catch (const std::invalid_argument&) {
            // a combination the function refuses (keras_relu: threshold above max_value)
          }
        }
      }
    }
  });
}

TEST(ExtremeParams, ValuesTheFloatKernelsCannotHoldAreRefused) {
  for (const char* spec :
       {"leaky_relu:-1e308", "leaky_relu:3.5e38", "leaky_relu:1e-320", "elu:alpha=3.5e38",
        "elu:alpha=1e7", "celu:1e-40", "celu:1e39", "softplus:beta=1e-320", "softplus:beta=1e-39",
        "softplus:threshold=1e39", "softplus:threshold=-1e-320", "keras_relu:negative_slope=1e39",
        "keras_relu:threshold=-1e39", "keras_relu:max_value=1e300"}) {
    EXPECT_NE(error_of([&] { Activation::parse(spec); }).find("must be in"), std::string::npos)
        << spec;
  }
}

}  // namespace
}  // namespace rectify
