// Exp-based functions meet the ULP bound their registry entry documents, on every SIMD target:
// forward against the double reference rounded to float, backward from x within that many ULP
// of dx, strictly, except within the registry's root_window of a root of the gradient, where the
// bound is in units of FLT_EPSILON |dy| (no relative accuracy to keep there); backward from y
// has that |dy| allowance everywhere (y rounded to its limit has lost the digits x had).
// This suite samples bit patterns over the whole float range; smooth_exhaustive_test (CTest
// label "exhaustive") sweeps all 2^32.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "accuracy_check.hpp"

namespace rectify {
namespace {

class SmoothAccuracy : public ::testing::TestWithParam<Activation> {};

TEST_P(SmoothAccuracy, SampledBitPatternsMeetTheDocumentedUlpBound) {
  // About a million patterns over the whole range, plus a dense sweep of [-16, 16].
  auto x = testing::bit_patterns(0, std::uint64_t{1} << 32, 4099);
  for (float v = -16.0f; v <= 16.0f; v += 1.0f / 1024) x.push_back(v);
  testing::check_accuracy(GetParam(), x);
}

TEST_P(SmoothAccuracy, UnderflowedResultsTakeTheReferenceZeroSignWhateverTheNeighbours) {
  // A result that rounds to zero has the sign the scalar float reference gives it, whether its
  // vector runs on the fast path or, next to an infinity or a NaN, on the slow one.
  const Activation& a = GetParam();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const std::vector<float> tiny = {denorm,  -denorm, 4 * denorm, -4 * denorm, 1e-40f,
                                   -1e-40f, 1e-38f,  -1e-38f,    0.0f,        -0.0f};
  for (const float neighbour : {1.0f, -2.0f, std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::quiet_NaN()}) {
    std::vector<float> x;
    for (const float t : tiny) x.insert(x.end(), {t, neighbour});
    x.resize(67, neighbour);  // whole vectors and a tail
    std::vector<float> y(x.size());
    testing::for_each_target([&](const std::string&) {
      forward(a, x, y);
      for (std::size_t i = 0; i < x.size(); i += 2) {
        const float want = ref::forward(a, x[i]);
        if (want != 0 || x[i] == neighbour) continue;
        EXPECT_EQ(std::signbit(y[i]), std::signbit(want))
            << a.to_string() << " at x = " << testing::describe(x[i]) << " next to " << neighbour
            << ": got " << testing::describe(y[i]);
      }
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Family, SmoothAccuracy, ::testing::ValuesIn(testing::smooth_cases()),
                         testing::case_name);

}  // namespace
}  // namespace rectify
