// Every one of the 2^32 float inputs, on the best SIMD target: the full check behind the
// documented ULP bounds. Opt-in (CTest label "exhaustive"): about an hour on one core.
#include <gtest/gtest.h>

#include "accuracy_check.hpp"

namespace rectify {
namespace {

class SmoothExhaustive : public ::testing::TestWithParam<Activation> {};

TEST_P(SmoothExhaustive, AllFloats) {
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 26;
  for (std::uint64_t first = 0; first < (std::uint64_t{1} << 32); first += kChunk) {
    testing::check_accuracy(GetParam(), testing::bit_patterns(first, first + kChunk, 1), false);
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Family, SmoothExhaustive, ::testing::ValuesIn(testing::smooth_cases()),
                         testing::case_name);

}  // namespace
}  // namespace rectify
