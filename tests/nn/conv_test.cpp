// The convolutional layers against independent oracles: Conv2d's forward against a naive loop in
// double, its backward against central finite differences, its fused epilogue against the
// unfused composition bit for bit; MaxPool2d against a naive reference with ties and NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nn_support.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/conv2d.hpp"
#include "rectify/nn/flatten.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/maxpool2d.hpp"
#include "rectify/rectify.hpp"
#include "test_support.hpp"

namespace rectify::nn {
namespace {

using testing::expect_gradient;
using testing::expect_gradient_in_double;
using testing::random_tensor;
using testing::same_bits;
using testing::to_double;
using testing::weighted_sum;

struct ConvCase {
  std::size_t batch, in, height, width, out, kernel, stride, padding;
};

std::string describe(const ConvCase& c) {
  return "x (" + std::to_string(c.batch) + ", " + std::to_string(c.in) + ", " +
         std::to_string(c.height) + ", " + std::to_string(c.width) + "), " + std::to_string(c.out) +
         " out, kernel " + std::to_string(c.kernel) + ", stride " + std::to_string(c.stride) +
         ", padding " + std::to_string(c.padding);
}

// Odd sizes, stride 1 and 2, padding 0 to 2, kernels 1, 3 and 5 (larger than the input: whole
// kernel rows read only padding), and outputs per image a multiple of 64 (the activation then
// runs image by image).
const std::vector<ConvCase> kCases = {
    {1, 1, 5, 5, 2, 3, 1, 0}, {3, 3, 7, 6, 4, 3, 1, 1}, {3, 3, 9, 7, 5, 3, 2, 1},
    {1, 3, 8, 8, 3, 3, 2, 0}, {3, 1, 5, 7, 2, 1, 1, 0}, {2, 3, 6, 5, 4, 1, 2, 0},
    {2, 3, 5, 5, 4, 1, 1, 1}, {1, 1, 3, 3, 2, 5, 1, 1}, {3, 3, 11, 13, 2, 3, 2, 1},
    {2, 2, 1, 3, 3, 5, 2, 2}, {2, 2, 4, 8, 4, 3, 1, 1},  // the last: 128 outputs per image
};

std::optional<Activation> parse_or_none(const char* spec) {
  if (spec[0] == '\0') return std::nullopt;
  return Activation::parse(spec);
}

// f(W * x + b) by the definition, in double: six loops per image.
// Templated on the containers so that it also runs on double copies (finite differences).
template <class X, class Weights, class Bias>
std::vector<double> naive_conv(const ConvCase& c, const X& x, const Weights& w, const Bias& b,
                               const std::optional<Activation>& act) {
  const std::size_t oh = (c.height + 2 * c.padding - c.kernel) / c.stride + 1;
  const std::size_t ow = (c.width + 2 * c.padding - c.kernel) / c.stride + 1;
  std::vector<double> y;
  for (std::size_t n = 0; n < c.batch; ++n) {
    for (std::size_t o = 0; o < c.out; ++o) {
      for (std::size_t oy = 0; oy < oh; ++oy) {
        for (std::size_t ox = 0; ox < ow; ++ox) {
          double z = b[o];
          for (std::size_t ch = 0; ch < c.in; ++ch) {
            for (std::size_t ki = 0; ki < c.kernel; ++ki) {
              for (std::size_t kj = 0; kj < c.kernel; ++kj) {
                const auto iy =
                    static_cast<long>(oy * c.stride + ki) - static_cast<long>(c.padding);
                const auto ix =
                    static_cast<long>(ox * c.stride + kj) - static_cast<long>(c.padding);
                if (iy < 0 || ix < 0 || iy >= long(c.height) || ix >= long(c.width)) continue;
                const std::size_t xi =
                    ((n * c.in + ch) * c.height + std::size_t(iy)) * c.width + std::size_t(ix);
                z += double(x[xi]) * double(w[((o * c.in + ch) * c.kernel + ki) * c.kernel + kj]);
              }
            }
          }
          y.push_back(act ? ref::forward(*act, z) : z);
        }
      }
    }
  }
  return y;
}

TEST(Conv2d, ForwardMatchesTheNaiveLoop) {
  for (const char* spec : {"", "relu", "elu"}) {
    for (const auto& c : kCases) {
      SCOPED_TRACE(describe(c) + " " + spec);
      std::mt19937_64 rng(4);
      const auto act = parse_or_none(spec);
      Conv2d conv("conv", c.in, c.out, c.kernel, c.stride, c.padding, act, rng);
      Tensor& bias = *conv.params()[1].value;
      for (std::size_t o = 0; o < c.out; ++o) bias[o] = 0.1f * float(o) - 0.15f;
      const Tensor x = random_tensor(Shape{c.batch, c.in, c.height, c.width}, 8);
      const Tensor& y = conv.forward(x, true);
      const auto want = naive_conv(c, x, *conv.params()[0].value, bias, act);
      EXPECT_EQ(y.shape(), conv.output_shape(x.shape()));
      ASSERT_EQ(y.size(), want.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(y[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i]))) << "element " << i;
      }
    }
  }
}

TEST(Conv2d, BackwardMatchesFiniteDifferences) {
  // Smooth activations only (a difference across relu's kink measures nothing); the
  // piecewise-linear ones are held to the unfused composition below. elu keeps its output for
  // backward, gelu_erf its input.
  for (const char* spec : {"", "elu", "tanh", "gelu_erf"}) {
    for (const auto& c : {kCases[1], kCases[2], kCases[6], kCases[7], kCases[9], kCases[10]}) {
      SCOPED_TRACE(describe(c) + " " + spec);
      std::mt19937_64 rng(6);
      Conv2d conv("conv", c.in, c.out, c.kernel, c.stride, c.padding, parse_or_none(spec), rng);
      auto params = conv.params();
      for (std::size_t o = 0; o < c.out; ++o) (*params[1].value)[o] = 0.05f * float(o);
      Tensor x = random_tensor(Shape{c.batch, c.in, c.height, c.width}, 9);
      const Tensor w = random_tensor(conv.output_shape(x.shape()), 10);
      conv.forward(x, true);
      const Tensor dx = conv.backward(w);
      const Tensor dweight = *params[0].grad;
      const Tensor dbias = *params[1].grad;
      expect_gradient(conv, x, x, dx, w, "dx");
      expect_gradient(conv, x, *params[0].value, dweight, w, "dW");
      expect_gradient(conv, x, *params[1].value, dbias, w, "db");
      // Against differences of the definition in double.
      const auto act = parse_or_none(spec);
      const auto xd = to_double(x), wd = to_double(*params[0].value),
                 bd = to_double(*params[1].value);
      auto loss = [&](const auto& xv, const auto& wv, const auto& bv) {
        const auto y = naive_conv(c, xv, wv, bv, act);
        double sum = 0;
        for (std::size_t i = 0; i < y.size(); ++i) sum += y[i] * w[i];
        return sum;
      };
      expect_gradient_in_double(
          xd, [&](const auto& v) { return loss(v, wd, bd); }, dx, "dx (double)");
      expect_gradient_in_double(
          wd, [&](const auto& v) { return loss(xd, v, bd); }, dweight, "dW (double)");
      expect_gradient_in_double(
          bd, [&](const auto& v) { return loss(xd, wd, v); }, dbias, "db (double)");
    }
  }
}

TEST(Conv2d, GradientsAreOverwrittenNotAccumulated) {
  std::mt19937_64 rng(1);
  Conv2d conv("conv", 2, 3, 3, 1, 1, Activation::parse("elu"), rng);
  const Tensor x = random_tensor(Shape{2, 2, 5, 5}, 2);
  const Tensor dy = random_tensor(Shape{2, 3, 5, 5}, 3);
  conv.forward(x, true);
  const Tensor dx1 = conv.backward(dy);
  const Tensor dw1 = *conv.params()[0].grad, db1 = *conv.params()[1].grad;
  conv.forward(x, true);
  EXPECT_TRUE(same_bits(conv.backward(dy), dx1));
  EXPECT_TRUE(same_bits(*conv.params()[0].grad, dw1));
  EXPECT_TRUE(same_bits(*conv.params()[1].grad, db1));
}

// Conv2d(f) against Conv2d(none) followed by an activation layer f: the fused epilogue must give
// the same bits, forward and backward. 5 x 63 outputs per image is not a multiple of 64, so the
// epilogue's blocks straddle images and the mask's words.
TEST(Conv2d, FusedEpilogueEqualsTheUnfusedComposition) {
  // 5 x 7 x 9 outputs per image: the activation runs over the batch after the GEMMs; 4 x 4 x 8
  // (a multiple of 64): image by image, after each image's GEMM and before its gradient's.
  for (const auto& [out, h, w] : {std::array<std::size_t, 3>{5, 7, 9}, {4, 4, 8}}) {
    for (const char* spec : {"relu", "leaky_relu:0.1", "relu6", "elu", "gelu_erf", "tanh"}) {
      SCOPED_TRACE(std::string(spec) + ", " + std::to_string(out * h * w) + " outputs per image");
      const auto act = Activation::parse(spec);
      std::mt19937_64 rng_a(5), rng_b(5);
      Conv2d fused("conv", 3, out, 3, 1, 1, act, rng_a);
      Conv2d plain("conv", 3, out, 3, 1, 1, std::nullopt, rng_b);
      ActivationLayer after("act", act);
      *plain.params()[0].value = *fused.params()[0].value;  // the initializers differ
      for (std::size_t o = 0; o < out; ++o) {
        (*fused.params()[1].value)[o] = (*plain.params()[1].value)[o] = 0.2f * float(o) - 0.4f;
      }
      const Tensor x = random_tensor(Shape{3, 3, h, w}, 6);
      const Tensor dy = random_tensor(Shape{3, out, h, w}, 7);
      const Tensor y1 = fused.forward(x, true);
      const Tensor y2 = after.forward(plain.forward(x, true), true);
      EXPECT_TRUE(same_bits(y1, y2));
      const Tensor dx1 = fused.backward(dy);
      const Tensor dx2 = plain.backward(after.backward(dy));
      EXPECT_TRUE(same_bits(dx1, dx2));
      EXPECT_TRUE(same_bits(*fused.params()[0].grad, *plain.params()[0].grad));
      EXPECT_TRUE(same_bits(*fused.params()[1].grad, *plain.params()[1].grad));
    }
  }
}

// The unfold and its reverse run on the SIMD target (whole-vector row copies where they fit):
// every target must give the bits of the scalar one, forward and backward, for every geometry
// (padding and stride 2 included) and for the cnn's (13 x 13 planes, rows of 11).
TEST(Conv2d, EveryTargetGivesTheScalarTargetsBits) {
  std::vector<ConvCase> geometries = kCases;
  geometries.push_back({2, 4, 13, 13, 3, 3, 1, 0});
  geometries.push_back({2, 1, 28, 28, 2, 3, 1, 0});
  for (const auto& c : geometries) {
    SCOPED_TRACE(describe(c));
    const Tensor x = random_tensor(Shape{c.batch, c.in, c.height, c.width}, 11);
    std::optional<Tensor> want_y, want_dx, want_dw;
    const auto targets = simd::available_targets();
    for (auto t = targets.rbegin(); t != targets.rend(); ++t) {  // the scalar target first
      SCOPED_TRACE("SIMD target " + *t);
      simd::force_target(*t);
      std::mt19937_64 rng(12);
      Conv2d conv("conv", c.in, c.out, c.kernel, c.stride, c.padding, std::nullopt, rng);
      const Tensor y = conv.forward(x, true);
      const Tensor dy = random_tensor(y.shape(), 13);
      const Tensor dx = conv.backward(dy);
      if (!want_y) {
        want_y = y, want_dx = dx, want_dw = *conv.params()[0].grad;
        continue;
      }
      EXPECT_TRUE(same_bits(y, *want_y));
      EXPECT_TRUE(same_bits(dx, *want_dx));
      EXPECT_TRUE(same_bits(*conv.params()[0].grad, *want_dw));
    }
    simd::reset_target();
  }
}

TEST(Conv2d, NoInputGradientKeepsTheParameterGradients) {
  std::mt19937_64 rng_a(2), rng_b(2);
  Conv2d first("conv", 1, 4, 3, 2, 1, Activation(), rng_a);
  Conv2d full("conv", 1, 4, 3, 2, 1, Activation(), rng_b);
  first.set_input_grad(false);
  const Tensor x = random_tensor(Shape{2, 1, 9, 9}, 3);
  const Tensor dy = random_tensor(first.output_shape(x.shape()), 4);
  first.forward(x, true);
  full.forward(x, true);
  EXPECT_EQ(first.backward(dy).shape(), x.shape());
  full.backward(dy);
  EXPECT_TRUE(same_bits(*first.params()[0].grad, *full.params()[0].grad));
  EXPECT_TRUE(same_bits(*first.params()[1].grad, *full.params()[1].grad));
}

void expect_message(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
  }
}

TEST(Conv2d, BadShapesAndArgumentsAreClearErrors) {
  std::mt19937_64 rng(1);
  Conv2d conv("conv1", 3, 8, 3, 1, 0, Activation(), rng);
  expect_message(
      [&] {
        conv.forward(Tensor(Shape{2, 4, 8, 8}), true);
      },
      {"conv1", "(2, 3, 8, 8)", "(2, 4, 8, 8)"});
  expect_message([&] { conv.forward(Tensor(Shape{2, 192}), true); }, {"conv1", "(2, 192)"});
  expect_message(
      [&] {
        conv.forward(Tensor(Shape{2, 3, 2, 8}), true);
      },
      {"conv1", "(2, 3, 2, 8)", "empty"});
  conv.forward(Tensor(Shape{2, 3, 8, 8}), true);
  expect_message(
      [&] {
        conv.backward(Tensor(Shape{2, 8, 5, 6}));
      },
      {"conv1", "(2, 8, 6, 6)", "(2, 8, 5, 6)"});
  expect_message([&] { Conv2d("c", 3, 8, 3, 0, 0, std::nullopt, rng); }, {"c:", "stride 0"});
  expect_message([&] { Conv2d("c", 3, 8, 0, 1, 0, std::nullopt, rng); }, {"c:", "kernel 0"});
  expect_message([&] { Conv2d("c", 3, 8, 3, 1, 0, Activation::parse("crelu"), rng); },
                 {"c:", "crelu"});
}

// The max of each window by the definition: NaN if the window holds one (the gradient goes to
// the last NaN, as PyTorch's CPU kernel), else the first position holding the largest value.
struct Pooled {
  std::vector<float> y;
  std::vector<std::size_t> at;  // index into x of the element each output came from
};

Pooled naive_pool(const Tensor& x, std::size_t k, std::size_t s) {
  const Shape& xs = x.shape();
  const std::size_t oh = (xs[2] - k) / s + 1, ow = (xs[3] - k) / s + 1;
  Pooled p;
  for (std::size_t plane = 0; plane < xs[0] * xs[1]; ++plane) {
    for (std::size_t oy = 0; oy < oh; ++oy) {
      for (std::size_t ox = 0; ox < ow; ++ox) {
        std::vector<std::size_t> window;
        for (std::size_t ki = 0; ki < k; ++ki) {
          for (std::size_t kj = 0; kj < k; ++kj) {
            window.push_back((plane * xs[2] + oy * s + ki) * xs[3] + ox * s + kj);
          }
        }
        std::size_t at = window[0];
        bool nan = false;
        for (auto i : window) {
          if (std::isnan(x[i])) {
            nan = true;
            at = i;
          }
        }
        if (!nan) {
          float m = x[window[0]];
          for (auto i : window) m = std::max(m, x[i]);
          for (auto it = window.rbegin(); it != window.rend(); ++it) {
            if (x[*it] == m) at = *it;
          }
        }
        p.y.push_back(x[at]);
        p.at.push_back(at);
      }
    }
  }
  return p;
}

TEST(MaxPool2d, ForwardAndBackwardMatchTheNaiveReferenceWithTiesAndNaNOnEveryTarget) {
  const auto bits = [](float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    std::size_t b, c, h, w, k, s;
  };
  // 2x2 stride 2 (its own code: the cnn's 26x26 and 11x11 planes, odd sizes, one window) and
  // every other window through the general loop (overlapping 2x2 stride 1 among them).
  rectify::testing::for_each_target([&](const std::string&) {
    for (const auto& c : {Case{2, 3, 8, 8, 2, 2}, Case{1, 2, 7, 9, 2, 2}, Case{2, 3, 26, 26, 2, 2},
                          Case{1, 4, 11, 11, 2, 2}, Case{1, 1, 2, 2, 2, 2}, Case{2, 2, 9, 7, 3, 2},
                          Case{1, 1, 6, 6, 3, 1}, Case{3, 2, 5, 5, 1, 1}, Case{1, 2, 5, 6, 2, 1}}) {
      SCOPED_TRACE(std::to_string(c.h) + "x" + std::to_string(c.w) + " k " + std::to_string(c.k) +
                   " s " + std::to_string(c.s));
      // Few distinct values, so ties are everywhere (-0 and +0 among them); a few NaN and -inf.
      Tensor x(Shape{c.b, c.c, c.h, c.w});
      std::mt19937_64 rng(c.h * 31 + c.k);
      for (auto& v : x.span()) v = float(rng() % 4) - 2.0f;
      for (std::size_t i = 1; i < x.size(); i += 5) x[i] = (i / 5) % 2 ? -0.0f : 0.0f;
      for (std::size_t i = 5; i < x.size(); i += 17) x[i] = nan;
      for (std::size_t i = 3; i < x.size(); i += 13) x[i] = -inf;
      x[x.size() - 1] = nan;
      MaxPool2d pool("pool", c.k, c.s);
      const Tensor& y = pool.forward(x, true);
      const Pooled want = naive_pool(x, c.k, c.s);
      EXPECT_EQ(y.shape(), pool.output_shape(x.shape()));
      ASSERT_EQ(y.size(), want.y.size());
      for (std::size_t i = 0; i < y.size(); ++i) {
        if (std::isnan(want.y[i])) {
          EXPECT_TRUE(std::isnan(y[i])) << i;
        } else {
          EXPECT_EQ(bits(y[i]), bits(want.y[i])) << i;
        }
      }
      Tensor dy = random_tensor(y.shape(), 11);
      for (std::size_t i = 0; i < dy.size(); i += 4) dy[i] = -0.0f;  // the sum starts from +0
      const Tensor& dx = pool.backward(dy);
      std::vector<float> dx_want(x.size(), 0.0f);
      for (std::size_t i = 0; i < y.size(); ++i) dx_want[want.at[i]] += dy[i];
      ASSERT_EQ(dx.shape(), x.shape());
      for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(bits(dx[i]), bits(dx_want[i])) << i;
    }
  });
}

TEST(MaxPool2d, NaNWinsAndTakesTheGradient) {
  Tensor x(Shape{1, 1, 2, 4});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Windows: [1 nan; 5 2] and [3 3; 3 -1] (a tie: the first 3 takes the gradient).
  const float v[] = {1, nan, 3, 3, 5, 2, 3, -1};
  std::copy(std::begin(v), std::end(v), x.data());
  MaxPool2d pool("pool", 2, 2);
  const Tensor& y = pool.forward(x, true);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 3.0f);
  Tensor dy(y.shape());
  dy[0] = 10.0f;
  dy[1] = 20.0f;
  const Tensor& dx = pool.backward(dy);
  const float want[] = {0, 10, 20, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(dx[i], want[i]) << i;
}

TEST(MaxPool2d, BadShapesAreClearErrors) {
  MaxPool2d pool("pool1", 3, 2);
  expect_message(
      [&] {
        pool.forward(Tensor(Shape{2, 3, 2, 8}), true);
      },
      {"pool1", "(2, 3, 2, 8)", "3x3"});
  expect_message([&] { pool.forward(Tensor(Shape{2, 64}), true); }, {"pool1", "(2, 64)"});
  pool.forward(Tensor(Shape{2, 3, 7, 7}), true);
  expect_message(
      [&] {
        pool.backward(Tensor(Shape{2, 3, 2, 3}));
      },
      {"pool1", "(2, 3, 3, 3)", "(2, 3, 2, 3)"});
  expect_message([] { MaxPool2d("p", 2, 0); }, {"p:", "stride 0"});
}

TEST(Flatten, RoundTripKeepsTheElementsInOrder) {
  Flatten flat("flat");
  const Tensor x = random_tensor(Shape{3, 2, 5, 7}, 12);
  const Tensor& y = flat.forward(x, true);
  EXPECT_EQ(y.shape(), (Shape{3, 70}));
  EXPECT_EQ(std::memcmp(y.data(), x.data(), x.size() * sizeof(float)), 0);
  const Tensor dy = random_tensor(Shape{3, 70}, 13);
  const Tensor& dx = flat.backward(dy);
  EXPECT_EQ(dx.shape(), x.shape());
  EXPECT_EQ(std::memcmp(dx.data(), dy.data(), dy.size() * sizeof(float)), 0);
  expect_message([&] { flat.backward(Tensor(Shape{3, 71})); }, {"flat", "(3, 70)", "(3, 71)"});
  expect_message([&] { flat.forward(Tensor(Shape{5}), true); }, {"flat", "(5)"});
}

// The small CNN's shapes: 28 -conv3-> 26 -pool2-> 13 -conv3-> 11 -pool2-> 5, 64 x 5 x 5 = 1600.
TEST(Cnn, LayersComposeFromImagesToLogits) {
  std::mt19937_64 rng(1);
  const Activation relu;
  std::vector<std::unique_ptr<Layer>> layers;
  auto conv1 = std::make_unique<Conv2d>("conv1", 1, 32, 3, 1, 0, relu, rng);
  conv1->set_input_grad(false);
  layers.push_back(std::move(conv1));
  layers.push_back(std::make_unique<MaxPool2d>("pool1", 2, 2));
  layers.push_back(std::make_unique<Conv2d>("conv2", 32, 64, 3, 1, 0, relu, rng));
  layers.push_back(std::make_unique<MaxPool2d>("pool2", 2, 2));
  layers.push_back(std::make_unique<Flatten>("flatten"));
  layers.push_back(std::make_unique<Linear>("fc1", 1600, 128, relu, rng));
  layers.push_back(std::make_unique<Linear>("fc2", 128, 10, std::nullopt, rng));
  const Tensor x = random_tensor(Shape{2, 1, 28, 28}, 14);
  const Tensor* h = &x;
  for (auto& l : layers) h = &l->forward(*h, true);
  EXPECT_EQ(h->shape(), (Shape{2, 10}));
  for (float v : h->span()) EXPECT_TRUE(std::isfinite(v));
  const Tensor dy = random_tensor(Shape{2, 10}, 15);
  const Tensor* d = &dy;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) d = &(*it)->backward(*d);
  EXPECT_EQ(d->shape(), x.shape());
  std::size_t params = 0;
  for (auto& l : layers) {
    for (const auto& p : l->params()) params += p.value->size();
  }
  EXPECT_EQ(params, 320u + 18496u + 204928u + 1290u);
}

}  // namespace
}  // namespace rectify::nn
