// Shared helpers of the layer tests: random tensors, bit equality, and the finite-difference
// check of a layer's gradients against loss = sum(w .* layer(x)).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::nn::testing {

inline Tensor random_tensor(const Shape& s, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  Tensor t(s);
  for (auto& v : t.span()) v = normal(rng);
  return t;
}

inline bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// loss = sum(w .* y) for a fixed random w, so dL/dy = w.
inline double weighted_sum(const Tensor& y, const Tensor& w) {
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += double(y[i]) * w[i];
  return s;
}

// Central differences of the loss with respect to every element of `target` (x or a parameter),
// against `analytic`. Float layers: h and the tolerance are sized for float rounding.
inline void expect_gradient(Layer& layer, Tensor& x, Tensor& target, const Tensor& analytic,
                            const Tensor& w, const std::string& what) {
  const float h = 1e-2f;
  for (std::size_t i = 0; i < target.size(); ++i) {
    const float saved = target[i];
    target[i] = saved + h;
    const double up = weighted_sum(layer.forward(x, false), w);
    target[i] = saved - h;
    const double down = weighted_sum(layer.forward(x, false), w);
    target[i] = saved;
    const double fd = (up - down) / (2.0 * h);
    ASSERT_NEAR(analytic[i], fd, 2e-2 * std::max(1.0, std::fabs(fd))) << what << " element " << i;
  }
}

inline std::vector<double> to_double(const Tensor& t) {
  return std::vector<double>(t.span().begin(), t.span().end());
}

// Central differences of a double-precision reference loss (the layer's definition written out
// in double, at the layer's own parameter values) for every element of `point`, against the
// layer's float gradient: the difference quotient is exact to ~1e-9, so the tolerance is the
// float rounding of the analytic gradient alone.
template <class Loss>
void expect_gradient_in_double(std::vector<double> point, const Loss& loss, const Tensor& analytic,
                               const std::string& what) {
  const double h = 1e-6;
  ASSERT_EQ(point.size(), analytic.size()) << what;
  for (std::size_t i = 0; i < point.size(); ++i) {
    const double saved = point[i];
    point[i] = saved + h;
    const double up = loss(point);
    point[i] = saved - h;
    const double down = loss(point);
    point[i] = saved;
    const double fd = (up - down) / (2 * h);
    ASSERT_NEAR(analytic[i], fd, 2e-4 * std::max(1.0, std::fabs(fd))) << what << " element " << i;
  }
}

}  // namespace rectify::nn::testing
