// Adam's SIMD update (train/simd/adam.cpp) against the scalar formula, bit for bit, on every SIMD
// target this CPU runs, at sizes around every vector width (tails included), Adam and AdamW.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rectify/rectify.hpp"
#include "rectify/train/optimizer.hpp"

namespace rectify {
namespace {

// PyTorch's Adam in float, each operation in the order the update writes it (no FMA: the project
// compiles with -ffp-contract=off).
void scalar_adam(const train::AdamOptions& o, std::int64_t step, std::vector<float>& w,
                 const std::vector<float>& g, std::vector<float>& m, std::vector<float>& v) {
  const double c1 = 1 - std::pow(o.beta1, static_cast<double>(step));
  const double c2 = 1 - std::pow(o.beta2, static_cast<double>(step));
  const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
  const auto lr_c1 = static_cast<float>(o.lr / c1), root_c2 = static_cast<float>(std::sqrt(c2));
  const auto eps = static_cast<float>(o.eps), wd = static_cast<float>(o.weight_decay);
  const auto lr = static_cast<float>(o.lr);
  for (std::size_t j = 0; j < w.size(); ++j) {
    float grad = g[j];
    if (o.decoupled) {
      w[j] -= lr * wd * w[j];
    } else {
      grad += wd * w[j];
    }
    m[j] = b1 * m[j] + (1 - b1) * grad;
    v[j] = b2 * v[j] + (1 - b2) * grad * grad;
    w[j] -= lr_c1 * m[j] / (std::sqrt(v[j]) / root_c2 + eps);
  }
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Optimizer, AdamIsTheScalarFormulaBitForBitOnEveryTarget) {
  const std::vector<std::size_t> sizes = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1000};
  for (const auto& target : simd::available_targets()) {
    SCOPED_TRACE(fmt::format("SIMD target {}", target));
    simd::force_target(target);
    for (const bool decoupled : {false, true}) {
      const train::AdamOptions o{.lr = 3e-3, .weight_decay = 0.05, .decoupled = decoupled};
      train::Adam adam(o);
      std::mt19937 rng(7);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<nn::Tensor> values, grads;
      std::vector<std::vector<float>> w, m, v;
      for (const auto n : sizes) {
        values.emplace_back(nn::Shape{n});
        grads.emplace_back(nn::Shape{n});
        for (float& x : values.back().span()) x = normal(rng);
        w.emplace_back(values.back().span().begin(), values.back().span().end());
        m.emplace_back(n, 0.0f);
        v.emplace_back(n, 0.0f);
      }
      std::vector<nn::Param> params;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        params.push_back({fmt::format("p{}", i), &values[i], &grads[i]});
      }
      for (std::int64_t step = 1; step <= 3; ++step) {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          for (float& g : grads[i].span()) g = normal(rng);
          const std::vector<float> g(grads[i].span().begin(), grads[i].span().end());
          scalar_adam(o, step, w[i], g, m[i], v[i]);
        }
        ASSERT_TRUE(adam.step(params));
        const auto state = adam.state(params);  // adam.m.p0, adam.v.p0, adam.m.p1, ...
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          SCOPED_TRACE(
              fmt::format("{}, step {}, {} floats", decoupled ? "adamw" : "adam", step, sizes[i]));
          const std::vector<float> got(values[i].span().begin(), values[i].span().end());
          EXPECT_TRUE(same_bits(got, w[i]));
          EXPECT_TRUE(same_bits(*state[2 * i].values, m[i]));
          EXPECT_TRUE(same_bits(*state[2 * i + 1].values, v[i]));
        }
      }
    }
  }
  simd::reset_target();
}

}  // namespace
}  // namespace rectify
