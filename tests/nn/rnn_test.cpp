// RNN against independent oracles: forward against a naive double-precision loop over layers,
// steps, rows and units; backward against that loop's own backpropagation through time (itself
// checked against central finite differences in double) and, for tanh, against finite
// differences of the float layer; and against torch.nn.RNN on fixed weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nn_support.hpp"
#include "rectify/nn/rnn.hpp"
#include "rectify/rectify.hpp"

namespace rectify::nn {
namespace {

using testing::expect_gradient;
using testing::random_tensor;
using testing::same_bits;
using testing::weighted_sum;

// The naive reference, in double. Parameters in params() order (weight_ih, weight_hh, bias_ih,
// bias_hh per layer); x and y batch first, states indexed [layer][(t B + b) H + j].
struct Reference {
  std::size_t batch, steps, input, hidden, layers;
  Activation act;
  std::vector<std::vector<double>> params;  // 4 per layer
  std::vector<double> x;                    // (B, T, I)

  const std::vector<double>& w_ih(std::size_t l) const { return params[4 * l]; }
  const std::vector<double>& w_hh(std::size_t l) const { return params[4 * l + 1]; }
  std::size_t in_size(std::size_t l) const { return l == 0 ? input : hidden; }
  // The input of layer l at step t, row b, unit i.
  double in(const std::vector<std::vector<double>>& h, std::size_t l, std::size_t t, std::size_t b,
            std::size_t i) const {
    return l == 0 ? x[(b * steps + t) * input + i] : h[l - 1][(t * batch + b) * hidden + i];
  }

  // Pre-activations z and states h of every layer.
  void run(std::vector<std::vector<double>>& z, std::vector<std::vector<double>>& h) const {
    z.assign(layers, std::vector<double>(steps * batch * hidden));
    h = z;
    for (std::size_t l = 0; l < layers; ++l) {
      const auto &wi = w_ih(l), &wh = w_hh(l), &bi = params[4 * l + 2], &bh = params[4 * l + 3];
      for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t b = 0; b < batch; ++b) {
          for (std::size_t j = 0; j < hidden; ++j) {
            double s = bi[j] + bh[j];
            for (std::size_t i = 0; i < in_size(l); ++i)
              s += wi[j * in_size(l) + i] * in(h, l, t, b, i);
            if (t > 0) {
              for (std::size_t k = 0; k < hidden; ++k) {
                s += wh[j * hidden + k] * h[l][((t - 1) * batch + b) * hidden + k];
              }
            }
            z[l][(t * batch + b) * hidden + j] = s;
            h[l][(t * batch + b) * hidden + j] = ref::forward(act, s);
          }
        }
      }
    }
  }

  std::vector<double> output() const {  // (B, T, H)
    std::vector<std::vector<double>> z, h;
    run(z, h);
    std::vector<double> y(batch * steps * hidden);
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t j = 0; j < hidden; ++j) {
          y[(b * steps + t) * hidden + j] = h[layers - 1][(t * batch + b) * hidden + j];
        }
      }
    }
    return y;
  }

  // The smallest |z| over all pre-activations: how far the data is from relu's kink.
  double kink_margin() const {
    std::vector<std::vector<double>> z, h;
    run(z, h);
    double m = std::numeric_limits<double>::infinity();
    for (const auto& layer : z) {
      for (double v : layer) m = std::min(m, std::fabs(v));
    }
    return m;
  }

  double loss(const std::vector<double>& w) const {
    const auto y = output();
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += y[i] * w[i];
    return s;
  }

  // Backpropagation through time written out element by element: the gradients of sum(w .* y)
  // for every parameter (params() order) and, last, for x.
  std::vector<std::vector<double>> gradients(const std::vector<double>& w) const {
    std::vector<std::vector<double>> z, h;
    run(z, h);
    std::vector<std::vector<double>> grads;
    for (const auto& p : params) grads.emplace_back(p.size(), 0.0);
    std::vector<double> dx(x.size(), 0.0);
    // dh[(t B + b) H + j]: the gradient reaching layer l's state from above (not yet from t + 1).
    std::vector<double> dh(steps * batch * hidden);
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t j = 0; j < hidden; ++j) {
          dh[(t * batch + b) * hidden + j] = w[(b * steps + t) * hidden + j];
        }
      }
    }
    for (std::size_t l = layers; l-- > 0;) {
      const std::size_t ni = in_size(l);
      std::vector<double> below(steps * batch * ni, 0.0);  // gradient at this layer's input
      std::vector<double> dz_next(batch * hidden, 0.0), dz(batch * hidden);
      for (std::size_t t = steps; t-- > 0;) {
        for (std::size_t b = 0; b < batch; ++b) {
          for (std::size_t j = 0; j < hidden; ++j) {
            double g = dh[(t * batch + b) * hidden + j];
            for (std::size_t k = 0; k < hidden; ++k) {
              g += dz_next[b * hidden + k] * w_hh(l)[k * hidden + j];
            }
            dz[b * hidden + j] = ref::backward(act, z[l][(t * batch + b) * hidden + j], g);
          }
        }
        for (std::size_t b = 0; b < batch; ++b) {
          for (std::size_t j = 0; j < hidden; ++j) {
            const double d = dz[b * hidden + j];
            grads[4 * l + 2][j] += d;
            grads[4 * l + 3][j] += d;
            for (std::size_t i = 0; i < ni; ++i) {
              grads[4 * l][j * ni + i] += d * in(h, l, t, b, i);
              below[(t * batch + b) * ni + i] += d * w_ih(l)[j * ni + i];
            }
            if (t > 0) {
              for (std::size_t k = 0; k < hidden; ++k) {
                grads[4 * l + 1][j * hidden + k] += d * h[l][((t - 1) * batch + b) * hidden + k];
              }
            }
          }
        }
        dz_next = dz;
      }
      if (l > 0) {
        dh = below;
      } else {
        for (std::size_t b = 0; b < batch; ++b) {
          for (std::size_t t = 0; t < steps; ++t) {
            for (std::size_t i = 0; i < input; ++i) {
              dx[(b * steps + t) * input + i] = below[(t * batch + b) * input + i];
            }
          }
        }
      }
    }
    grads.push_back(dx);
    return grads;
  }
};

Reference reference_of(RNN& rnn, const Tensor& x) {
  Reference r{x.shape()[0],
              x.shape()[1],
              rnn.input_size(),
              rnn.hidden_size(),
              rnn.num_layers(),
              rnn.nonlinearity(),
              {},
              std::vector<double>(x.span().begin(), x.span().end())};
  for (const auto& p : rnn.params()) {
    r.params.emplace_back(p.value->span().begin(), p.value->span().end());
  }
  return r;
}

constexpr std::size_t kB = 3, kT = 5, kI = 4, kH = 6, kLayers = 2;

TEST(RNN, ForwardMatchesANaiveDoubleLoop) {
  for (const char* spec : {"relu", "tanh", "leaky_relu:0.1", "elu", "silu"}) {
    SCOPED_TRACE(spec);
    std::mt19937_64 rng(7);
    RNN rnn("rnn", kI, kH, kLayers, Activation::parse(spec), false, rng);
    const Tensor x = random_tensor(Shape{kB, kT, kI}, 1);
    const Tensor& y = rnn.forward(x, true);
    ASSERT_EQ(y.shape(), (Shape{kB, kT, kH}));
    const auto want = reference_of(rnn, x).output();
    for (std::size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i]))) << "element " << i;
    }
    const Tensor y_train = y;
    EXPECT_TRUE(same_bits(rnn.forward(x, false), y_train)) << "inference differs from training";
  }
}

// The oracle's backpropagation through time against central differences of its own loss, in
// double, so that the float layer is compared with something known to be right.
TEST(RNN, ReferenceBackpropagationMatchesFiniteDifferencesInDouble) {
  for (const char* spec : {"relu", "tanh"}) {
    SCOPED_TRACE(spec);
    std::mt19937_64 rng(7);
    RNN rnn("rnn", kI, kH, kLayers, Activation::parse(spec), false, rng);
    const Tensor x = random_tensor(Shape{kB, kT, kI}, 1);
    const Tensor w = random_tensor(Shape{kB, kT, kH}, 2);
    const std::vector<double> wd(w.span().begin(), w.span().end());
    Reference r = reference_of(rnn, x);
    const auto grads = r.gradients(wd);
    // A step of h moves no pre-activation across relu's kink: this seed keeps them all further.
    const double h = 1e-6;
    ASSERT_GT(r.kink_margin(), 1e-4);
    for (std::size_t p = 0; p <= r.params.size(); ++p) {
      auto& target = p < r.params.size() ? r.params[p] : r.x;
      for (std::size_t i = 0; i < target.size(); ++i) {
        const double saved = target[i];
        target[i] = saved + h;
        const double up = r.loss(wd);
        target[i] = saved - h;
        const double down = r.loss(wd);
        target[i] = saved;
        ASSERT_NEAR(grads[p][i], (up - down) / (2 * h), 1e-7) << "tensor " << p << " element " << i;
      }
    }
  }
}

// The float layer's gradients against the double oracle's, for every way of keeping what backward
// needs: the 1-bit mask (relu, leaky_relu), the output (tanh, elu) and the input (silu).
TEST(RNN, BackwardMatchesTheDoubleReference) {
  for (const char* spec : {"relu", "tanh", "leaky_relu:0.1", "elu", "silu"}) {
    SCOPED_TRACE(spec);
    std::mt19937_64 rng(7);
    RNN rnn("rnn", kI, kH, kLayers, Activation::parse(spec), false, rng);
    const Tensor x = random_tensor(Shape{kB, kT, kI}, 1);
    const Tensor w = random_tensor(Shape{kB, kT, kH}, 2);
    rnn.forward(x, true);
    const Tensor dx = rnn.backward(w);
    const Reference r = reference_of(rnn, x);
    // Float and double agree on which side of the kink every pre-activation lies (float rounds z
    // by about 1e-6 here).
    ASSERT_GT(r.kink_margin(), 1e-4);
    const auto want = r.gradients(std::vector<double>(w.span().begin(), w.span().end()));
    const auto params = rnn.params();
    ASSERT_EQ(want.size(), params.size() + 1);
    for (std::size_t p = 0; p < want.size(); ++p) {
      const Tensor& got = p < params.size() ? *params[p].grad : dx;
      const std::string what = p < params.size() ? params[p].name : "dx";
      ASSERT_EQ(got.size(), want[p].size()) << what;
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[p][i], 1e-5 * std::max(1.0, std::fabs(want[p][i])))
            << what << " element " << i;
      }
    }
  }
}

// tanh is smooth: central differences of the float layer itself, for every parameter and x.
TEST(RNN, TanhBackwardMatchesFiniteDifferences) {
  std::mt19937_64 rng(7);
  RNN rnn("rnn", kI, kH, kLayers, Activation::parse("tanh"), false, rng);
  Tensor x = random_tensor(Shape{kB, kT, kI}, 1);
  const Tensor w = random_tensor(Shape{kB, kT, kH}, 2);
  rnn.forward(x, true);
  const Tensor dx = rnn.backward(w);
  auto params = rnn.params();
  std::vector<Tensor> analytic;
  for (const auto& p : params) analytic.push_back(*p.grad);
  analytic.push_back(dx);
  const float h = 1e-2f;
  for (std::size_t p = 0; p < analytic.size(); ++p) {
    Tensor& target = p < params.size() ? *params[p].value : x;
    const std::string what = p < params.size() ? params[p].name : "dx";
    for (std::size_t i = 0; i < target.size(); ++i) {
      const float saved = target[i];
      target[i] = saved + h;
      const double up = weighted_sum(rnn.forward(x, false), w), step_up = target[i];
      target[i] = saved - h;
      const double down = weighted_sum(rnn.forward(x, false), w), step_down = target[i];
      target[i] = saved;
      const double fd = (up - down) / (step_up - step_down);
      ASSERT_NEAR(analytic[p][i], fd, 1e-3 * std::max(1.0, std::fabs(fd)))
          << what << " element " << i;
    }
  }
}

// The same values torch.nn.RNN gives. Produced with PyTorch 1.13 (/usr/bin/python3, CPU,
// float32) by:
//   rnn = torch.nn.RNN(2, 3, 2, nonlinearity=NL, batch_first=True)
//   element k of parameter p (named_parameters() order, p = 0..7) =
//       float32(0.6 * sin(1.3 k + 0.7 p + 0.1) + (0.25 if a bias else 0))
//   x (2, 3, 2): float32(sin(0.9 k + 0.2));  w (2, 3, 3): float32(sin(0.37 k + 1.1))
//   y, _ = rnn(x); (y * w).sum().backward()
// printing y, x.grad and the parameters' .grad with "%.9g".
struct TorchCase {
  const char* nonlinearity;
  std::vector<float> y, dx, weight_ih_l0, weight_hh_l0, bias_ih_l0, weight_ih_l1, weight_hh_l1,
      bias_hh_l1;
};

const TorchCase kTorchRelu = {
    "relu",
    {0.0f, 0.840164423f, 0.165538371f, 0.0f, 1.18350685f, 0.00694477558f, 0.0f, 1.19121683f,
     0.59560734f, 0.0f, 0.761719465f, 0.393201053f, 0.0f, 1.14371872f, 0.0f, 0.0f, 1.28832555f,
     0.275797725f},
    {0.106611922f, -0.25008738f, 0.00719288364f, 0.0710005313f, 0.181347713f, 0.117174342f,
     -0.0656345561f, 0.25976494f, 0.000631196657f, 0.00623050472f, -0.203206599f, -0.116689801f},
    {-0.283255816f, -0.101020865f, 0.278607994f, 0.323421448f, 0.282373965f, 0.0961511806f},
    {0.160353288f, 0.0188593362f, 0.0f, 0.0f, 0.0f, 0.0f, 0.207906425f, 0.0f, 0.0f},
    {0.236009359f, 0.132252038f, 0.0422691107f},
    {0.0f, 0.0f, 0.0f, 1.80501986f, -0.0858438239f, -0.0473499671f, 0.557386041f, -0.0920766965f,
     -0.138398185f},
    {0.0f, 0.0f, 0.0f, 0.0f, 0.348204017f, 0.0212092344f, 0.0f, 0.00978860259f, -0.0198144875f},
    {0.0f, 0.451518029f, -0.0569739938f},
};

const TorchCase kTorchTanh = {
    "tanh",
    {-0.339927495f, 0.455332816f, 0.560790777f, -0.41056475f, 0.0415409766f, 0.878549933f,
     -0.528733492f, -0.110530317f, 0.94056797f, -0.472261131f, 0.490168244f, 0.62171793f,
     -0.311008573f, -0.128894374f, 0.905738831f, -0.393039614f, -0.0946687758f, 0.91323632f},
    {-0.0439964011f, 0.0664192587f, 0.119274572f, -0.0303999595f, -0.0582425073f, 0.0756943151f,
     0.02207122f, -0.039891392f, -0.108824439f, 0.019881513f, 0.0767859742f, -0.0759016126f},
    {0.024408577f, 0.00798609108f, 0.0959566087f, 0.0195641555f, -0.0293655973f, 0.198969916f},
    {0.00306121772f, -0.00323160808f, -0.00425139442f, 0.00368301943f, -0.013347798f,
     -0.00263333414f, -0.0647032857f, 0.0416171886f, 0.0823844671f},
    {0.00372037245f, -0.0451414846f, -0.0368894041f},
    {0.334319174f, 0.00904745981f, -0.272721082f, 0.334700972f, -0.00433447724f, -0.346337646f,
     0.200781509f, -0.027866872f, -0.201142669f},
    {-0.0125739425f, -0.0238443147f, 0.180087641f, 0.000136210583f, -0.0599141754f, 0.203712344f,
     -0.0193036217f, -0.0039258711f, 0.0767777115f},
    {0.321629167f, 0.306267023f, 0.186387807f},
};

void fill_sine(Tensor& t, double a, double b, double c, double d) {
  for (std::size_t k = 0; k < t.size(); ++k) {
    t[k] = static_cast<float>(a * std::sin(b * static_cast<double>(k) + c) + d);
  }
}

void expect_close(const Tensor& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 2e-6 * std::max(1.0f, std::fabs(want[i])))
        << what << " element " << i;
  }
}

TEST(RNN, MatchesPyTorch) {
  for (const TorchCase* c : {&kTorchRelu, &kTorchTanh}) {
    SCOPED_TRACE(c->nonlinearity);
    std::mt19937_64 rng(1);
    RNN rnn("rnn", 2, 3, 2, Activation::parse(c->nonlinearity), false, rng);
    auto params = rnn.params();
    for (std::size_t p = 0; p < params.size(); ++p) {
      const bool bias = params[p].name.find("bias") != std::string::npos;
      fill_sine(*params[p].value, 0.6, 1.3, 0.7 * double(p) + 0.1, bias ? 0.25 : 0.0);
    }
    Tensor x(Shape{2, 3, 2}), w(Shape{2, 3, 3});
    fill_sine(x, 1.0, 0.9, 0.2, 0.0);
    fill_sine(w, 1.0, 0.37, 1.1, 0.0);
    expect_close(rnn.forward(x, true), c->y, "y");
    expect_close(rnn.backward(w), c->dx, "dx");
    expect_close(*params[0].grad, c->weight_ih_l0, "weight_ih_l0");
    expect_close(*params[1].grad, c->weight_hh_l0, "weight_hh_l0");
    expect_close(*params[2].grad, c->bias_ih_l0, "bias_ih_l0");
    expect_close(*params[3].grad, c->bias_ih_l0, "bias_hh_l0");  // the same as bias_ih
    expect_close(*params[4].grad, c->weight_ih_l1, "weight_ih_l1");
    expect_close(*params[5].grad, c->weight_hh_l1, "weight_hh_l1");
    expect_close(*params[6].grad, c->bias_hh_l1, "bias_ih_l1");
    expect_close(*params[7].grad, c->bias_hh_l1, "bias_hh_l1");
  }
}

TEST(RNN, ParametersAreNamedAndShapedAsPyTorchNamesThem) {
  std::mt19937_64 rng(1);
  RNN rnn("rnn", 28, 128, 2, Activation(), false, rng);
  const auto params = rnn.params();
  const std::vector<std::pair<std::string, Shape>> want = {
      {"rnn.weight_ih_l0", Shape{128, 28}},  {"rnn.weight_hh_l0", Shape{128, 128}},
      {"rnn.bias_ih_l0", Shape{128}},        {"rnn.bias_hh_l0", Shape{128}},
      {"rnn.weight_ih_l1", Shape{128, 128}}, {"rnn.weight_hh_l1", Shape{128, 128}},
      {"rnn.bias_ih_l1", Shape{128}},        {"rnn.bias_hh_l1", Shape{128}}};
  ASSERT_EQ(params.size(), want.size());
  for (std::size_t p = 0; p < want.size(); ++p) {
    EXPECT_EQ(params[p].name, want[p].first);
    EXPECT_EQ(params[p].value->shape(), want[p].second) << want[p].first;
    EXPECT_EQ(params[p].grad->shape(), want[p].second) << want[p].first;
    // PyTorch's default: U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias.
    const auto [lo, hi] =
        std::minmax_element(params[p].value->span().begin(), params[p].value->span().end());
    EXPECT_GE(*lo, -1.0f / std::sqrt(128.0f)) << want[p].first;
    EXPECT_LE(*hi, 1.0f / std::sqrt(128.0f)) << want[p].first;
    EXPECT_LT(*lo, -0.8f / std::sqrt(128.0f)) << want[p].first;  // spread over the whole range
    EXPECT_GT(*hi, 0.8f / std::sqrt(128.0f)) << want[p].first;
  }
}

TEST(RNN, IdentityInitGivesTheIrnnRecipe) {
  std::mt19937_64 rng(1);
  RNN rnn("rnn", 28, 128, 2, Activation(), true, rng);
  const auto params = rnn.params();
  for (std::size_t l = 0; l < 2; ++l) {
    const Tensor& w_ih = *params[4 * l].value;
    const Tensor& w_hh = *params[4 * l + 1].value;
    for (std::size_t i = 0; i < 128; ++i) {
      for (std::size_t j = 0; j < 128; ++j) {
        ASSERT_EQ(w_hh[i * 128 + j], i == j ? 1.0f : 0.0f) << "layer " << l << " " << i << "," << j;
      }
    }
    for (std::size_t p : {4 * l + 2, 4 * l + 3}) {
      for (float v : params[p].value->span()) ASSERT_EQ(v, 0.0f) << params[p].name;
    }
    double sum2 = 0;  // W_ih ~ N(0, 0.001^2)
    for (float v : w_ih.span()) sum2 += double(v) * v;
    EXPECT_NEAR(std::sqrt(sum2 / double(w_ih.size())), 0.001, 0.0001) << params[4 * l].name;
  }
}

// The IRNN on image-row sized input (28 steps of 28, as over Fashion-MNIST rows) stays finite,
// forward and backward.
TEST(RNN, IrnnStaysFiniteOver28Steps) {
  std::mt19937_64 rng(1);
  RNN rnn("rnn", 28, 128, 1, Activation(), true, rng);
  const Tensor x = random_tensor(Shape{64, 28, 28}, 3);
  const Tensor& y = rnn.forward(x, true);
  float largest = 0;
  for (float v : y.span()) {
    ASSERT_TRUE(std::isfinite(v));
    largest = std::max(largest, v);
  }
  EXPECT_GT(largest, 0.0f);
  const Tensor dx = rnn.backward(random_tensor(Shape{64, 28, 128}, 4));
  for (float v : dx.span()) ASSERT_TRUE(std::isfinite(v));
  for (const auto& p : rnn.params()) {
    for (float v : p.grad->span()) ASSERT_TRUE(std::isfinite(v)) << p.name;
  }
}

// Backward overwrites (never accumulates) the gradients, and buffers sized for one (B, T) give
// the same results after a different (B, T) has been run.
TEST(RNN, BackwardOverwritesAndShapesCanChange) {
  std::mt19937_64 rng_a(7), rng_b(7);
  RNN rnn("rnn", kI, kH, kLayers, Activation(), false, rng_a);
  RNN fresh("rnn", kI, kH, kLayers, Activation(), false, rng_b);
  const Tensor x = random_tensor(Shape{kB, kT, kI}, 1), w = random_tensor(Shape{kB, kT, kH}, 2);
  const Tensor y1 = rnn.forward(x, true);
  const Tensor dx1 = rnn.backward(w);
  std::vector<Tensor> g1;
  for (const auto& p : rnn.params()) g1.push_back(*p.grad);

  // A larger and then a smaller shape in between, forward and backward.
  const Tensor big = random_tensor(Shape{7, 9, kI}, 5), small = random_tensor(Shape{2, 1, kI}, 6);
  rnn.forward(big, true);
  rnn.backward(random_tensor(Shape{7, 9, kH}, 7));
  const Tensor y_small = rnn.forward(small, true);
  const Tensor dx_small = rnn.backward(random_tensor(Shape{2, 1, kH}, 8));
  EXPECT_TRUE(same_bits(y_small, fresh.forward(small, true)));
  EXPECT_TRUE(same_bits(dx_small, fresh.backward(random_tensor(Shape{2, 1, kH}, 8))));

  for (int repeat = 0; repeat < 2; ++repeat) {
    EXPECT_TRUE(same_bits(rnn.forward(x, true), y1));
    EXPECT_TRUE(same_bits(rnn.backward(w), dx1));
    const auto params = rnn.params();
    for (std::size_t p = 0; p < params.size(); ++p) {
      EXPECT_TRUE(same_bits(*params[p].grad, g1[p])) << params[p].name << " repeat " << repeat;
    }
  }
  // Without the input gradient the parameter gradients are unchanged.
  rnn.set_input_grad(false);
  rnn.forward(x, true);
  rnn.backward(w);
  const auto params = rnn.params();
  for (std::size_t p = 0; p < params.size(); ++p) {
    EXPECT_TRUE(same_bits(*params[p].grad, g1[p])) << params[p].name;
  }
}

TEST(RNN, ShapeErrorsNameTheLayerAndBothShapes) {
  std::mt19937_64 rng(1);
  RNN rnn("rnn1", 28, 128, 1, Activation(), false, rng);
  const auto expect_message = [](auto&& call, std::initializer_list<const char*> parts) {
    try {
      call();
      FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      for (const char* part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_message(
      [&] {
        rnn.forward(Tensor(Shape{64, 28, 20}), true);
      },
      {"rnn1", "(64, 28, 28)", "(64, 28, 20)"});
  expect_message(
      [&] {
        rnn.forward(Tensor(Shape{64, 784}), true);
      },
      {"rnn1", "(batch, steps, 28)", "(64, 784)"});
  const Tensor x(Shape{64, 28, 28});
  rnn.forward(x, true);
  expect_message(
      [&] {
        rnn.backward(Tensor(Shape{64, 28, 10}));
      },
      {"rnn1", "(64, 28, 128)", "(64, 28, 10)"});
  rnn.forward(x, false);  // keeps nothing for backward
  try {
    rnn.backward(Tensor(Shape{64, 28, 128}));
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("training"), std::string::npos) << e.what();
  }
}

TEST(RNN, AnEmptyBatchGivesAnEmptyOutputAndZeroGradients) {
  std::mt19937_64 rng(1);
  RNN rnn("rnn", kI, kH, kLayers, Activation(), false, rng);
  const Tensor x = random_tensor(Shape{kB, kT, kI}, 1), empty(Shape{0, kT, kI});
  rnn.forward(x, true);                               // the input stays alive until backward
  rnn.backward(random_tensor(Shape{kB, kT, kH}, 2));  // nonzero gradients first
  EXPECT_EQ(rnn.forward(empty, true).shape(), (Shape{0, kT, kH}));
  EXPECT_EQ(rnn.backward(Tensor(Shape{0, kT, kH})).shape(), (Shape{0, kT, kI}));
  for (const auto& p : rnn.params()) {
    for (float v : p.grad->span()) ASSERT_EQ(v, 0.0f) << p.name;
  }
}

TEST(RNN, RejectsFunctionsThatAreNotElementwiseAndZeroSizes) {
  std::mt19937_64 rng(1);
  for (const char* spec : {"crelu", "prelu"}) {
    EXPECT_THROW(RNN("rnn", 4, 6, 1, Activation::parse(spec), false, rng), std::invalid_argument)
        << spec;
  }
  EXPECT_THROW(RNN("rnn", 0, 6, 1, Activation(), false, rng), std::invalid_argument);
  EXPECT_THROW(RNN("rnn", 4, 6, 0, Activation(), false, rng), std::invalid_argument);
}

}  // namespace
}  // namespace rectify::nn
