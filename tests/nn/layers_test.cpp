// Layers against independent oracles: Linear's forward against a naive double-precision loop,
// every backward against central finite differences of a scalar loss, and the fused
// bias + activation epilogue against the unfused composition.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nn_support.hpp"
#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/rectify.hpp"

namespace rectify::nn {
namespace {

using testing::expect_gradient;
using testing::expect_gradient_in_double;
using testing::random_tensor;
using testing::same_bits;
using testing::to_double;
using testing::weighted_sum;

// sum(w .* f(x W^T + b)) for x (rows, in), W (out, in), b (out), all in double.
double linear_loss(const std::vector<double>& x, const std::vector<double>& weight,
                   const std::vector<double>& bias, const std::optional<Activation>& act,
                   const Tensor& w) {
  const std::size_t out = bias.size(), in = weight.size() / out, rows = x.size() / in;
  double loss = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < out; ++j) {
      double z = bias[j];
      for (std::size_t k = 0; k < in; ++k) z += x[r * in + k] * weight[j * in + k];
      loss += double(w[r * out + j]) * (act ? ref::forward(*act, z) : z);
    }
  }
  return loss;
}

void check_linear(const char* spec) {
  SCOPED_TRACE(spec);
  std::mt19937_64 rng(3);
  std::optional<Activation> act;
  if (spec[0] != '\0') act = Activation::parse(spec);
  Linear layer("fc", 7, 5, act, rng);
  Tensor x = random_tensor(Shape{70, 7}, 1);  // more rows than one epilogue block
  for (auto& v : x.span()) v += 0.05f;        // keep inputs off the kinks
  const Tensor w = random_tensor(Shape{70, 5}, 2);

  // Forward against a naive loop in double: f(x W^T + b).
  const auto params = layer.params();
  Tensor& weight = *params[0].value;
  Tensor& bias = *params[1].value;
  for (std::size_t j = 0; j < 5; ++j) bias[j] = 0.1f * float(j) - 0.2f;
  const Tensor& y = layer.forward(x, true);
  for (std::size_t r = 0; r < 70; ++r) {
    for (std::size_t j = 0; j < 5; ++j) {
      double z = bias[j];
      for (std::size_t k = 0; k < 7; ++k) z += double(x[r * 7 + k]) * weight[j * 7 + k];
      const double want = act ? ref::forward(*act, z) : z;
      ASSERT_NEAR(y[r * 5 + j], want, 1e-5 * std::max(1.0, std::fabs(want))) << r << "," << j;
    }
  }
  // Backward: the analytic gradients, then finite differences for x, W and b.
  layer.forward(x, true);
  const Tensor dx = layer.backward(w);
  const Tensor dweight = *params[0].grad;
  const Tensor dbias = *params[1].grad;
  expect_gradient(layer, x, x, dx, w, "dx");
  expect_gradient(layer, x, weight, dweight, w, "dW");
  expect_gradient(layer, x, bias, dbias, w, "db");
  // The same gradients against differences of the definition in double.
  const auto xd = to_double(x), wd = to_double(weight), bd = to_double(bias);
  expect_gradient_in_double(
      xd, [&](const auto& v) { return linear_loss(v, wd, bd, act, w); }, dx, "dx (double)");
  expect_gradient_in_double(
      wd, [&](const auto& v) { return linear_loss(xd, v, bd, act, w); }, dweight, "dW (double)");
  expect_gradient_in_double(
      bd, [&](const auto& v) { return linear_loss(xd, wd, v, act, w); }, dbias, "db (double)");
}

TEST(Linear, ForwardAndBackwardAgainstFiniteDifferences) {
  // Smooth activations only: a finite difference across a kink of relu measures nothing. The
  // piecewise-linear ones are checked against the unfused composition below.
  for (const char* spec : {"", "elu", "tanh", "gelu_erf", "silu"}) {
    check_linear(spec);  // saved state: none, output, output, input, input
  }
}

// Linear(in, out, f) against Linear(in, out) followed by an activation layer f: the fused
// epilogue must give the same bits, forward and backward.
TEST(Linear, FusedEpilogueEqualsTheUnfusedComposition) {
  for (const char* spec : {"relu", "leaky_relu:0.1", "relu6", "elu", "gelu_erf", "sigmoid"}) {
    SCOPED_TRACE(spec);
    const auto act = Activation::parse(spec);
    std::mt19937_64 rng_a(5), rng_b(5);
    Linear fused("fc", 33, 70, act, rng_a);
    Linear plain("fc", 33, 70, std::nullopt, rng_b);
    ActivationLayer after("act", act);
    // Same weights in both (the initializers differ with the activation).
    *plain.params()[0].value = *fused.params()[0].value;
    const Tensor x = random_tensor(Shape{130, 33}, 6);
    const Tensor dy = random_tensor(Shape{130, 70}, 7);
    const Tensor y1 = fused.forward(x, true);
    const Tensor y2 = after.forward(plain.forward(x, true), true);
    ASSERT_EQ(y1.shape(), y2.shape());
    EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0);
    const Tensor dx1 = fused.backward(dy);
    const Tensor dx2 = plain.backward(after.backward(dy));
    EXPECT_EQ(std::memcmp(dx1.data(), dx2.data(), dx1.size() * 4), 0);
    const Tensor& dw1 = *fused.params()[0].grad;
    const Tensor& dw2 = *plain.params()[0].grad;
    EXPECT_EQ(std::memcmp(dw1.data(), dw2.data(), dw1.size() * 4), 0);
  }
}

TEST(Linear, ShapeMismatchNamesTheLayerAndBothShapes) {
  std::mt19937_64 rng(1);
  Linear layer("fc1", 784, 128, Activation(), rng);
  const Tensor x(Shape{64, 100});
  try {
    layer.forward(x, true);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("fc1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(64, 784)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(64, 100)"), std::string::npos) << msg;
  }
}

// prelu's slopes are parameters of an ActivationLayer and crelu doubles the width: fused into a
// Linear, the one would silently run with a fixed slope and the other with half its output.
TEST(Linear, RefusesFunctionsThatAreLayersOfTheirOwn) {
  std::mt19937_64 rng(1);
  for (const auto& f : registry()) {
    const Activation a(f.fn);
    if (fusable(a)) {
      EXPECT_NO_THROW(Linear("fc", 4, 3, a, rng)) << f.name;
      continue;
    }
    try {
      Linear("fc", 4, 3, a, rng);
      ADD_FAILURE() << f.name << ": no exception";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("fc:"), std::string::npos) << msg;
      EXPECT_NE(msg.find("ActivationLayer"), std::string::npos) << msg;
    }
  }
}

TEST(ActivationLayer, PreluLearnsPerChannelSlopesByFiniteDifferences) {
  ActivationLayer layer("act", Activation::parse("prelu"), 3);
  Tensor x = random_tensor(Shape{4, 3, 5}, 9);
  const Tensor w = random_tensor(Shape{4, 3, 5}, 10);
  layer.forward(x, true);
  const Tensor dx = layer.backward(w);
  auto params = layer.params();
  ASSERT_EQ(params.size(), 1u);
  const Tensor dslopes = *params[0].grad;
  expect_gradient(layer, x, x, dx, w, "dx");
  expect_gradient(layer, x, *params[0].value, dslopes, w, "dslopes");
}

TEST(ActivationLayer, CreluDoublesTheChannelsAndBackpropagates) {
  ActivationLayer layer("act", Activation::parse("crelu"));
  Tensor x = random_tensor(Shape{2, 3, 4}, 11);
  const Tensor& y = layer.forward(x, true);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 4}));
  const Tensor w = random_tensor(Shape{2, 6, 4}, 12);
  const Tensor dx = layer.backward(w);
  expect_gradient(layer, x, x, dx, w, "dx");
}

TEST(Loss, SoftmaxCrossEntropyMatchesFiniteDifferencesAndIsStable) {
  Tensor logits = random_tensor(Shape{4, 10}, 5, 3.0f);
  logits[3] = 1000.0f;  // a huge logit must not overflow
  const std::vector<std::int32_t> labels = {3, 0, 9, 5};
  Tensor d;
  const auto r = softmax_cross_entropy(logits, labels, &d);
  EXPECT_TRUE(std::isfinite(r.loss));
  const float h = 1e-2f;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float saved = logits[i];
    logits[i] = saved + h;
    const double up = softmax_cross_entropy(logits, labels, nullptr).loss;
    logits[i] = saved - h;
    const double down = softmax_cross_entropy(logits, labels, nullptr).loss;
    logits[i] = saved;
    EXPECT_NEAR(d[i], (up - down) / (2 * h), 1e-3) << i;
  }
  const std::vector<std::int32_t> bad = {3, 0, 10, 5};
  EXPECT_THROW(softmax_cross_entropy(logits, bad, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace rectify::nn

namespace rectify::nn {
namespace {

using testing::random_tensor;

TEST(Loss, BinaryCrossEntropyAndMseMatchFiniteDifferences) {
  Tensor z = random_tensor(Shape{3, 4}, 21, 4.0f);
  z[0] = 80.0f;  // far in the saturated region: still finite
  z[1] = -80.0f;
  std::vector<float> t(12);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = float(i % 3) / 2.0f;
  for (int which = 0; which < 2; ++which) {
    const auto loss = [&](Tensor* d) {
      return which == 0 ? binary_cross_entropy_with_logits(z, t, d) : mean_squared_error(z, t, d);
    };
    Tensor d;
    EXPECT_TRUE(std::isfinite(loss(&d)));
    for (std::size_t i = 0; i < z.size(); ++i) {
      const float saved = z[i], h = 1.0f / 64;  // a step that 80 +- h represents exactly
      z[i] = saved + h;
      const double up = loss(nullptr);
      z[i] = saved - h;
      const double down = loss(nullptr);
      z[i] = saved;
      EXPECT_NEAR(d[i], (up - down) / (2 * h), 2e-4 * std::max(1.0f, std::fabs(d[i])))
          << which << " " << i;
    }
  }
  EXPECT_THROW(mean_squared_error(z, std::vector<float>(5), nullptr), std::invalid_argument);
}

TEST(Dropout, KeepsTheExpectationAndPassesGradientsOnlyWhereKept) {
  Dropout drop("drop", 0.3, 42);
  Tensor x(Shape{100000});
  x.fill(2.0f);
  const Tensor& y = drop.forward(x, true);
  double mean = 0;
  for (float v : y.span()) mean += v;
  EXPECT_NEAR(mean / 100000, 2.0, 0.03);
  Tensor dy(x.shape());
  dy.fill(1.0f);
  const Tensor& dx = drop.backward(dy);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(dx[i] == 0.0f, y[i] == 0.0f);
  const Tensor& eval = drop.forward(x, false);
  EXPECT_EQ(eval[0], 2.0f);
  EXPECT_THROW(Dropout("d", 1.0, 1), std::invalid_argument);
}

TEST(Dropout, AlphaDropoutKeepsZeroMeanAndUnitVariance) {
  Dropout drop("adrop", 0.2, 7, true);
  const Tensor x = random_tensor(Shape{200000}, 8);  // N(0, 1), SELU's fixed point
  const Tensor& y = drop.forward(x, true);
  double mean = 0, sq = 0;
  for (float v : y.span()) {
    mean += v;
    sq += double(v) * v;
  }
  mean /= 200000;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sq / 200000 - mean * mean, 1.0, 0.02);
}

}  // namespace
}  // namespace rectify::nn
