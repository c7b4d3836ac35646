// The property report, measured from the scalar definitions, against what is known of each
// function: exact for the piecewise-linear family, published values for the smooth ones.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "rectify/act/properties.hpp"
#include "rectify/rectify.hpp"
#include "rectify/timing/cost.hpp"

namespace rectify {
namespace {

// Timing is never asserted on; it is off (no PropertyOptions::cost) so that the suite stays fast.
Properties measure(const std::string& spec) {
  return measure_properties(Activation::parse(spec), {});
}

const SpecialPoint* point_at(const Properties& p, double x) {
  for (const auto& s : p.points) {
    if (s.x == x) return &s;
  }
  return nullptr;
}

TEST(Properties, Relu) {
  const auto p = measure("relu");
  EXPECT_EQ(p.range.text(), "[0, inf)");
  EXPECT_TRUE(p.range.bounded_below());
  EXPECT_FALSE(p.range.bounded_above());
  EXPECT_EQ(p.monotonicity, Monotonicity::non_decreasing);
  EXPECT_TRUE(p.continuous);
  EXPECT_FALSE(p.derivative_continuous);
  ASSERT_EQ(p.points.size(), 1u);
  const auto& zero = p.points[0];
  EXPECT_EQ(zero.x, 0.0);
  EXPECT_TRUE(zero.continuous);
  EXPECT_FALSE(zero.differentiable);
  EXPECT_NEAR(zero.left_derivative, 0.0, 1e-9);
  EXPECT_NEAR(zero.right_derivative, 1.0, 1e-9);
  EXPECT_EQ(zero.backward, 0.0);  // PyTorch's relu'(0)
  EXPECT_TRUE(p.saturates_left);
  EXPECT_FALSE(p.saturates_right);
  EXPECT_DOUBLE_EQ(p.normal.zero_fraction, 0.5);
  EXPECT_DOUBLE_EQ(p.normal.zero_gradient_fraction, 0.5);
  EXPECT_NEAR(p.normal.mean, 0.3989422804, 1e-5);  // 1 / sqrt(2 pi)
  EXPECT_NEAR(p.normal.stddev, std::sqrt(0.5 - 1 / (2 * std::numbers::pi)), 1e-5);
  EXPECT_FALSE(p.zero_centred());
  EXPECT_EQ(p.default_init, "he_normal");
  EXPECT_FALSE(p.cost.has_value());
}

TEST(Properties, Sigmoid) {
  const auto p = measure("sigmoid");
  EXPECT_EQ(p.range.text(), "(0, 1)");  // approached, never reached, though double rounds to both
  EXPECT_TRUE(p.range.bounded_below());
  EXPECT_TRUE(p.range.bounded_above());
  EXPECT_EQ(p.monotonicity, Monotonicity::strictly_increasing);
  EXPECT_TRUE(p.continuous);
  EXPECT_TRUE(p.derivative_continuous);
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_TRUE(p.points[0].differentiable);
  EXPECT_NEAR(p.points[0].left_derivative, 0.25, 1e-9);
  EXPECT_TRUE(p.saturates_left);
  EXPECT_TRUE(p.saturates_right);
  EXPECT_NEAR(p.normal.mean, 0.5, 1e-9);
  EXPECT_EQ(p.normal.zero_fraction, 0.0);
  EXPECT_EQ(p.default_init, "glorot_uniform");
}

TEST(Properties, EluIsContinuouslyDifferentiableOnlyForAlphaOne) {
  const auto one = measure("elu");
  EXPECT_EQ(one.range.text(), "(-1, inf)");
  EXPECT_EQ(one.monotonicity, Monotonicity::strictly_increasing);
  EXPECT_TRUE(one.continuous);
  EXPECT_TRUE(one.derivative_continuous);
  EXPECT_TRUE(one.saturates_left);
  EXPECT_FALSE(one.saturates_right);

  const auto half = measure("elu:alpha=0.5");
  EXPECT_EQ(half.range.text(), "(-0.5, inf)");
  EXPECT_TRUE(half.continuous);
  EXPECT_FALSE(half.derivative_continuous);
  const auto* zero = point_at(half, 0.0);
  ASSERT_NE(zero, nullptr);
  EXPECT_FALSE(zero->differentiable);
  EXPECT_NEAR(zero->left_derivative, 0.5, 1e-6);
  EXPECT_NEAR(zero->right_derivative, 1.0, 1e-9);
  EXPECT_EQ(zero->backward, 0.5);  // elu'(0) = alpha, as PyTorch

  // alpha = 0 is relu: the flat piece makes it non-decreasing and the bound closed.
  const auto zero_alpha = measure("elu:alpha=0");
  EXPECT_EQ(zero_alpha.range.text(), "[0, inf)");
  EXPECT_EQ(zero_alpha.monotonicity, Monotonicity::non_decreasing);
}

TEST(Properties, LeakyRelu) {
  const auto p = measure("leaky_relu:0.2");
  EXPECT_EQ(p.range.text(), "(-inf, inf)");
  EXPECT_EQ(p.monotonicity, Monotonicity::strictly_increasing);
  EXPECT_TRUE(p.continuous);
  EXPECT_FALSE(p.derivative_continuous);
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_FALSE(p.points[0].differentiable);
  EXPECT_NEAR(p.points[0].left_derivative, 0.2, 1e-9);
  EXPECT_NEAR(p.points[0].right_derivative, 1.0, 1e-9);
  EXPECT_FALSE(p.saturates_left);
  EXPECT_FALSE(p.saturates_right);
  EXPECT_EQ(p.normal.zero_fraction, 0.0);

  EXPECT_EQ(measure("leaky_relu:-0.5").monotonicity, Monotonicity::not_monotonic);
}

TEST(Properties, TanhIsZeroCentred) {
  const auto p = measure("tanh");
  EXPECT_EQ(p.range.text(), "(-1, 1)");
  EXPECT_EQ(p.monotonicity, Monotonicity::strictly_increasing);
  EXPECT_NEAR(p.normal.mean, 0.0, 1e-12);
  EXPECT_TRUE(p.zero_centred());
  EXPECT_TRUE(p.saturates_left);
  EXPECT_TRUE(p.saturates_right);
  EXPECT_TRUE(p.derivative_continuous);
}

TEST(Properties, Relu6HasKinksAtBothClipPoints) {
  const auto p = measure("relu6");
  EXPECT_EQ(p.range.text(), "[0, 6]");
  EXPECT_EQ(p.monotonicity, Monotonicity::non_decreasing);
  EXPECT_TRUE(p.continuous);
  ASSERT_EQ(p.points.size(), 2u);
  EXPECT_EQ(p.points[0].x, 0.0);
  EXPECT_EQ(p.points[1].x, 6.0);
  for (const auto& s : p.points) {
    EXPECT_FALSE(s.differentiable) << s.x;
    EXPECT_EQ(s.backward, 0.0) << s.x;  // PyTorch's choice at both clip points
  }
  EXPECT_NEAR(p.points[1].left_derivative, 1.0, 1e-9);
  EXPECT_NEAR(p.points[1].right_derivative, 0.0, 1e-9);
  EXPECT_TRUE(p.saturates_left);
  EXPECT_TRUE(p.saturates_right);
}

TEST(Properties, KerasReluFindsThresholdAndMaxValue) {
  // Keras' formula jumps at a nonzero threshold: from negative_slope * 0 to the threshold.
  const auto p = measure("keras_relu:negative_slope=0.1,max_value=4,threshold=0.5");
  EXPECT_FALSE(p.continuous);
  const auto* threshold = point_at(p, 0.5);
  const auto* max_value = point_at(p, 4.0);
  ASSERT_NE(threshold, nullptr);
  ASSERT_NE(max_value, nullptr);
  EXPECT_FALSE(threshold->continuous);
  EXPECT_NEAR(threshold->jump, 0.5, 1e-12);
  EXPECT_NEAR(threshold->left_derivative, 0.1, 1e-9);
  EXPECT_NEAR(threshold->right_derivative, 1.0, 1e-9);
  EXPECT_TRUE(max_value->continuous);
  EXPECT_FALSE(max_value->differentiable);
  EXPECT_NEAR(max_value->left_derivative, 1.0, 1e-9);
  EXPECT_NEAR(max_value->right_derivative, 0.0, 1e-9);
  EXPECT_EQ(max_value->backward, 0.0);
  EXPECT_EQ(p.range.text(), "(-inf, 4]");
  EXPECT_EQ(p.monotonicity, Monotonicity::non_decreasing);

  // With a zero slope, relu below the threshold is exactly 0: a closed lower bound.
  const auto zero_slope = measure("keras_relu:threshold=0.5");
  EXPECT_FALSE(zero_slope.continuous);
  EXPECT_EQ(zero_slope.range.text(), "[0, inf)");
  EXPECT_EQ(zero_slope.monotonicity, Monotonicity::non_decreasing);

  // A negative threshold jumps down: from 0 to the threshold.
  EXPECT_EQ(measure("keras_relu:threshold=-2").monotonicity, Monotonicity::not_monotonic);
  EXPECT_EQ(measure("keras_relu:threshold=-2").range.text(), "[-2, inf)");
}

TEST(Properties, SeluKeepsNormalInputNormalised) {
  // The fixed point of Klambauer et al. (2017): mean 0 and variance 1 for x ~ N(0, 1).
  const auto p = measure("selu");
  EXPECT_NEAR(p.normal.mean, 0.0, 1e-4);
  EXPECT_NEAR(p.normal.stddev, 1.0, 1e-4);
  EXPECT_TRUE(p.zero_centred());
  EXPECT_EQ(p.range.text(), "(-1.7581, inf)");
  EXPECT_EQ(p.default_init, "lecun_normal");
  // Unlike elu with alpha = 1, selu has a kink: scale * alpha on the left, scale on the right.
  EXPECT_FALSE(p.derivative_continuous);
  EXPECT_NEAR(p.points.at(0).left_derivative, ref::kSeluScale * ref::kSeluAlpha, 1e-6);
  EXPECT_NEAR(p.points.at(0).right_derivative, ref::kSeluScale, 1e-9);
}

TEST(Properties, SmoothNonMonotonicFunctionsHaveAClosedMinimum) {
  const auto p = measure("gelu_erf");
  EXPECT_EQ(p.monotonicity, Monotonicity::not_monotonic);
  EXPECT_TRUE(p.range.lower.closed);
  EXPECT_NEAR(p.range.lower.value, -0.169971, 1e-5);
  EXPECT_TRUE(p.derivative_continuous);
  EXPECT_TRUE(p.saturates_left);
  EXPECT_FALSE(p.saturates_right);
}

TEST(Properties, EveryRegisteredFunction) {
  for (const auto& f : registry()) {
    SCOPED_TRACE(std::string(f.name));
    const auto p = measure_properties(Activation(f.fn), {.normal_samples = 10000});
    EXPECT_EQ(p.formula, f.formula);
    EXPECT_EQ(p.params.size(), f.params.size());
    EXPECT_FALSE(p.points.empty());
    EXPECT_FALSE(p.range.text().empty());
    EXPECT_TRUE(std::isfinite(p.normal.mean));
    EXPECT_TRUE(std::isfinite(p.normal.stddev));
    EXPECT_TRUE(p.continuous);  // every default is continuous
    if (f.exact) {
      EXPECT_FALSE(p.derivative_continuous) << "a kink at 0";
    }
  }
}

TEST(Properties, CostIsMeasuredWhenAsked) {
  const auto p = measure_properties(
      Activation::parse("elu"),
      {.normal_samples = 1000, .cost = timing::cost_probe({.size = 4096, .min_seconds = 0.0005})});
  ASSERT_TRUE(p.cost.has_value());
  EXPECT_GT(p.cost->ns_per_element, 0.0);
  EXPECT_GT(p.cost->ratio_to_relu, 0.0);
  EXPECT_FALSE(p.cost->target.empty());
}

TEST(Properties, OptionsAreChecked) {
  const Activation relu;
  EXPECT_THROW(measure_properties(relu, {.grid_limit = 1}), std::invalid_argument);
  EXPECT_THROW(measure_properties(relu, {.normal_samples = 0}), std::invalid_argument);
  EXPECT_THROW(timing::forward_cost(relu, {.size = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace rectify
