// The diagnostics against quantities computed independently from the layer's outputs and
// gradients in double: dead units on layers built with known dead units, sparsity, mean, spread,
// gradient norm, died and revived units, and value_stats itself.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "nn_support.hpp"
#include "rectify/act/stats.hpp"
#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/conv2d.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/rnn.hpp"

namespace rectify {
namespace {

using nn::Shape;
using nn::Tensor;
using nn::testing::random_tensor;

TEST(ValueStats, MatchesDoubleSumsOverEveryTailLength) {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  // Every tail around the vector widths, and lengths past the kernel's runs of 1024.
  std::vector<std::size_t> lengths(300);
  std::iota(lengths.begin(), lengths.end(), 0);
  lengths.insert(lengths.end(), {1023, 1024, 1025, 2047, 5000, 100003});
  for (const std::size_t n : lengths) {
    std::vector<float> x(n + 1);
    for (auto& v : x) v = normal(rng);
    for (std::size_t i = 0; i < n; i += 3) x[i] = (i % 2) ? 0.0f : -0.0f;
    const std::span<const float> s = std::span(x).subspan(1);  // unaligned start
    double sum = 0, sq = 0;
    std::uint64_t zeros = 0;
    for (const float v : s) {
      sum += v;
      sq += double(v) * v;
      zeros += v == 0.0f;
    }
    const auto st = value_stats(s);
    EXPECT_EQ(st.count, n);
    EXPECT_EQ(st.zeros, zeros) << n;
    EXPECT_NEAR(st.sum, sum, 1e-5 * (1 + sq)) << n;
    EXPECT_NEAR(st.sum_sq, sq, 1e-5 * (1 + sq)) << n;
  }
  const float nan[3] = {1.0f, NAN, 0.0f};
  EXPECT_TRUE(std::isnan(value_stats(nan).sum));
  EXPECT_EQ(value_stats(nan).zeros, 1u);
}

// Sets a Linear's weights to w and its bias to b per output unit.
void set_linear(nn::Linear& layer, float w, const std::vector<float>& bias) {
  auto params = layer.params();
  params[0].value->fill(w);
  for (std::size_t j = 0; j < bias.size(); ++j) (*params[1].value)[j] = bias[j];
}

// One epoch of `batches` random batches in [0, 1) through forward and backward with dy = 1.
diag::LayerStats run_epoch(nn::Layer& layer, const Shape& input, int batches, std::uint64_t seed,
                           std::vector<float>* outputs = nullptr) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int b = 0; b < batches; ++b) {
    Tensor x(input);
    for (auto& v : x.span()) v = uniform(rng);
    const Tensor& y = layer.forward(x, true);
    if (outputs) outputs->insert(outputs->end(), y.span().begin(), y.span().end());
    Tensor dy(y.shape());
    dy.fill(1.0f);
    layer.backward(dy);
    for (auto* p : layer.probes()) p->end_batch();
  }
  return layer.probes().at(0)->end_epoch();
}

TEST(DeadUnits, ReluUnitsWithLargeNegativeBiasAreDeadFromTheMask) {
  std::mt19937_64 rng(1);
  nn::Linear layer("fc", 4, 6, Activation::parse("relu"), rng);
  set_linear(layer, 0.5f, {0, -100, 0, 0, -100, 1});
  std::vector<float> y;
  const auto s = run_epoch(layer, Shape{5, 4}, 3, 2, &y);
  EXPECT_EQ(s.layer, "fc");
  EXPECT_EQ(s.units, 6u);
  EXPECT_EQ(s.dead, 2u);
  EXPECT_DOUBLE_EQ(s.dead_fraction(), 2.0 / 6.0);
  double zeros = 0, sum = 0, sq = 0;
  for (const float v : y) {
    zeros += v == 0.0f;
    sum += v;
    sq += double(v) * v;
  }
  const auto n = static_cast<double>(y.size());
  EXPECT_DOUBLE_EQ(s.sparsity, zeros / n);
  EXPECT_NEAR(s.mean, sum / n, 1e-6);
  EXPECT_NEAR(s.stddev, std::sqrt(sq / n - (sum / n) * (sum / n)), 1e-5);
  // dy = 1 everywhere: the norm over one batch of 5 x 6 ones is sqrt(30).
  EXPECT_NEAR(s.grad_norm, std::sqrt(30.0), 1e-9);
}

TEST(DeadUnits, Relu6UnitsSaturatedAboveSixAreDeadToo) {
  std::mt19937_64 rng(1);
  nn::Linear layer("fc", 4, 3, Activation::parse("relu6"), rng);
  set_linear(layer, 0.5f, {0, 100, -100});  // alive, stuck at 6, stuck at 0
  EXPECT_EQ(run_epoch(layer, Shape{8, 4}, 2, 3).dead, 2u);
}

TEST(DeadUnits, EluSaturatedBelowIsDeadFromTheGradientLeakyNever) {
  for (const auto* spec : {"elu", "leaky_relu", "sigmoid", "tanh"}) {
    std::mt19937_64 rng(1);
    nn::Linear layer("fc", 4, 3, Activation::parse(spec), rng);
    set_linear(layer, 0.5f, {0, -1000, 1});
    // elu: f'(z) = alpha e^z underflows to 0 for z = -1000; sigmoid and tanh saturate in float;
    // leaky's slope below 0 stays 0.01, so the unit still passes gradient.
    const std::size_t expected = std::string(spec) == "leaky_relu" ? 0 : 1;
    EXPECT_EQ(run_epoch(layer, Shape{8, 4}, 2, 3).dead, expected) << spec;
  }
}

TEST(DeadUnits, DiedAndRevivedCompareWithThePreviousEpoch) {
  std::mt19937_64 rng(1);
  nn::Linear layer("fc", 4, 4, Activation::parse("relu"), rng);
  set_linear(layer, 0.5f, {-100, -100, 0, 0});
  auto s = run_epoch(layer, Shape{4, 4}, 2, 1);
  EXPECT_EQ(s.dead, 2u);
  EXPECT_EQ(s.died, 0u);  // nothing to compare with in the first epoch
  set_linear(layer, 0.5f, {0, -100, -100, -100});
  s = run_epoch(layer, Shape{4, 4}, 2, 2);
  EXPECT_EQ(s.dead, 3u);
  EXPECT_EQ(s.died, 2u);
  EXPECT_EQ(s.revived, 1u);
}

TEST(DeadUnits, AConvChannelIsOneUnitOverAllItsPositions) {
  std::mt19937_64 rng(1);
  nn::Conv2d conv("conv", 1, 5, 3, 1, 0, Activation::parse("relu"), rng);
  auto params = conv.params();
  params[0].value->fill(0.1f);
  const std::vector<float> bias = {0, -50, 0.5f, -50, -50};
  for (std::size_t c = 0; c < bias.size(); ++c) (*params[1].value)[c] = bias[c];
  // 7 x 7 images: 25 positions per channel, so channels straddle the 64-bit mask words.
  const auto s = run_epoch(conv, Shape{3, 1, 7, 7}, 2, 4);
  EXPECT_EQ(s.units, 5u);
  EXPECT_EQ(s.dead, 3u);
}

TEST(DeadUnits, OnlyOneExampleKeepsAUnitAlive) {
  // Unit 0 fires for the one example whose first input exceeds 0.999: the unit is alive.
  std::mt19937_64 rng(1);
  nn::Linear layer("fc", 2, 1, Activation::parse("relu"), rng);
  auto params = layer.params();
  (*params[0].value)[0] = 1.0f;
  (*params[0].value)[1] = 0.0f;
  (*params[1].value)[0] = -0.999f;
  Tensor x(Shape{70, 2});
  x.fill(0.5f);
  x[2 * 69] = 1.0f;  // the last row, in the second 64-bit mask word
  layer.forward(x, true);
  Tensor dy(Shape{70, 1});
  dy.fill(1.0f);
  layer.backward(dy);
  EXPECT_EQ(layer.probes()[0]->end_epoch().dead, 0u);
  layer.forward(x, true);  // the next epoch without that example
  x[2 * 69] = 0.5f;
  layer.forward(x, true);
  EXPECT_EQ(layer.probes()[0]->end_epoch().dead, 0u);  // seen alive in the first batch
  layer.forward(x, true);
  EXPECT_EQ(layer.probes()[0]->end_epoch().dead, 1u);
}

TEST(DeadUnits, PreluAndCreluLayersCountFromTheirGradient) {
  nn::ActivationLayer crelu("crelu", Activation::parse("crelu"));
  Tensor x = random_tensor(Shape{6, 3}, 5);
  for (std::size_t r = 0; r < 6; ++r) x[r * 3 + 1] = 0.0f;  // feature 1 is 0: no gradient
  crelu.forward(x, true);
  Tensor dy(Shape{6, 6});
  dy.fill(1.0f);
  crelu.backward(dy);
  const auto s = crelu.probes()[0]->end_epoch();
  EXPECT_EQ(s.units, 3u);
  EXPECT_EQ(s.dead, 1u);
  nn::ActivationLayer prelu("prelu", Activation::parse("prelu"), 3);
  prelu.forward(x, true);
  Tensor dy3(Shape{6, 3});
  dy3.fill(1.0f);
  prelu.backward(dy3);
  EXPECT_EQ(prelu.probes()[0]->end_epoch().dead, 0u);  // slope 0.25 at and below 0: never dead
}

TEST(Diagnostics, RnnProbesItsHiddenUnitsOverEveryStep) {
  std::mt19937_64 rng(1);
  nn::RNN rnn("rnn", 3, 4, 2, Activation::parse("relu"), true, rng);
  const auto probes = rnn.probes();
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[0]->layer(), "rnn.0");
  Tensor x = random_tensor(Shape{2, 5, 3}, 3);
  const Tensor& y = rnn.forward(x, true);
  std::vector<float> out(y.span().begin(), y.span().end());
  Tensor dy(y.shape());
  dy.fill(1.0f);
  rnn.backward(dy);
  const auto top = probes[1]->end_epoch();
  EXPECT_EQ(top.units, 4u);
  double zeros = 0;
  for (const float v : out) zeros += v == 0.0f;
  EXPECT_DOUBLE_EQ(top.sparsity, zeros / static_cast<double>(out.size()));
}

TEST(Diagnostics, ADisabledProbeAndEvaluationForwardsRecordNothing) {
  std::mt19937_64 rng(1);
  nn::Linear layer("fc", 4, 2, Activation::parse("relu"), rng);
  Tensor x = random_tensor(Shape{3, 4}, 1);
  layer.forward(x, false);
  auto s = layer.probes()[0]->end_epoch();
  EXPECT_EQ(s.dead, 0u);  // nothing seen is not "dead"
  EXPECT_EQ(s.mean, 0.0);
  layer.probes()[0]->set_enabled(false);
  layer.forward(x, true);
  s = layer.probes()[0]->end_epoch();
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.sparsity, 0.0);
}

}  // namespace
}  // namespace rectify
