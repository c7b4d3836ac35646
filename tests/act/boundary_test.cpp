// The public API checks its arguments: sizes, null spans, partial overlap, passes a function
// does not have. Each is a std::invalid_argument that says what was expected.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace rectify {
namespace {

using testing::error_of;

TEST(Boundary, SizeMismatchesSayWhatWasExpected) {
  std::vector<float> x(10), y(9), dy(10), dx(10);
  const Activation relu;
  const auto msg = error_of([&] { forward(relu, x, y); });
  EXPECT_NE(msg.find("forward(relu)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("y has 9 elements, expected 10"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { backward(relu, x, std::span(dy).first(3), dx); }).find("dy has 3"),
            std::string::npos);
  std::vector<std::uint8_t> mask(1);
  EXPECT_NE(error_of([&] { forward_with_mask(relu, x, dx, mask); }).find("mask has 1"),
            std::string::npos);
}

TEST(Boundary, NullWithALengthIsAnError) {
  std::vector<float> y(4);
  const std::span<const float> null(static_cast<const float*>(nullptr), 4);
  EXPECT_NE(error_of([&] { forward(Activation(), null, y); }).find("x is null"), std::string::npos);
  // Empty spans are fine, null or not.
  EXPECT_NO_THROW(forward(Activation(), std::span<const float>(), std::span<float>()));
}

TEST(Boundary, PartialOverlapIsAnErrorButExactInPlaceIsAllowed) {
  std::vector<float> buf(100, -1.0f);
  const Activation relu;
  const std::span<float> all(buf);
  EXPECT_NO_THROW(forward(relu, all.first(50), all.first(50)));
  const auto msg = error_of([&] { forward(relu, all.first(50), all.subspan(10, 50)); });
  EXPECT_NE(msg.find("partly overlaps"), std::string::npos) << msg;
  EXPECT_NO_THROW(forward(relu, all.first(50), all.subspan(50, 50)));
}

TEST(Boundary, PassesTheFunctionDoesNotHave) {
  std::vector<float> y(8), dy(8), dx(8);
  std::vector<std::uint8_t> mask(1);
  const auto msg =
      error_of([&] { backward_from_output(Activation::parse("gelu_erf"), y, dy, dx); });
  EXPECT_NE(msg.find("does not determine its gradient"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] {
              forward_with_mask(Activation::parse("elu"), y, dx, mask);
            }).find("no 1-bit mask"),
            std::string::npos);
  EXPECT_THROW(backward_from_output(Activation::parse("leaky_relu:-0.5"), y, dy, dx),
               std::invalid_argument);
}

TEST(Boundary, ForcingAnUnknownTargetNamesTheAvailableOnes) {
  const auto msg = error_of([] { simd::force_target("NOPE"); });
  EXPECT_NE(msg.find("available"), std::string::npos) << msg;
  EXPECT_FALSE(simd::current_target().empty());
}

}  // namespace
}  // namespace rectify
