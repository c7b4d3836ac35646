// Exp-based functions meet the ULP bound their registry entry documents, on every SIMD target:
// forward against the double reference rounded to float, backward within the same number of
// ULP of the result or of |dy| (a gradient that crosses zero has no relative accuracy to keep).
// This suite samples bit patterns over the whole float range; smooth_exhaustive_test (CTest
// label "exhaustive") sweeps all 2^32.
#include <gtest/gtest.h>

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

INSTANTIATE_TEST_SUITE_P(Family, SmoothAccuracy, ::testing::ValuesIn(testing::smooth_cases()),
                         testing::case_name);

}  // namespace
}  // namespace rectify
