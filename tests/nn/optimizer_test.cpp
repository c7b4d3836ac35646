// Adam's SIMD update (train/simd/adam.cpp) against the scalar formula, bit for bit, on every SIMD
// target this CPU runs, at sizes around every vector width (tails included), Adam and AdamW; and
// every optimizer's step over shares of the parameters against its whole step.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/rectify.hpp"
#include "rectify/train/optimizer.hpp"
#include "rectify/train/team.hpp"

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

namespace rectify {
namespace {

// A data-parallel rank updates its share of the parameters: the shares' steps, taken by separate
// optimizers as separate ranks would, must give the whole step's bits, leave every element
// outside their ranges (parameters and state) as it was, and refuse ranges past a parameter.
TEST(Optimizer, AStepOverSharesIsTheWholeStepAndTouchesNothingElse) {
  const std::vector<std::size_t> sizes = {1, 5, 37, 1000};
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  struct Copy {
    std::vector<nn::Tensor> values, grads;
    std::vector<nn::Param> params() {
      std::vector<nn::Param> p;
      for (std::size_t i = 0; i < values.size(); ++i) p.push_back({"p", &values[i], &grads[i]});
      return p;
    }
  };
  Copy base;
  for (const auto n : sizes) {
    base.values.emplace_back(nn::Shape{n});
    base.grads.emplace_back(nn::Shape{n});
    for (float& x : base.values.back().span()) x = normal(rng);
    for (float& x : base.grads.back().span()) x = normal(rng);
  }
  for (const std::string name : {"sgd", "sgd_nesterov", "adam", "adamw"}) {
    SCOPED_TRACE(name);
    Copy whole = base, split = base;
    auto one = train::make_optimizer(name, 0.01, 0.9, 0.01);
    std::vector<std::unique_ptr<train::Optimizer>> ranks;
    for (int r = 0; r < 3; ++r) ranks.push_back(train::make_optimizer(name, 0.01, 0.9, 0.01));
    const auto whole_params = whole.params(), split_params = split.params();
    for (int step = 0; step < 3; ++step) {
      ASSERT_TRUE(one->step(whole_params));
      for (int r = 0; r < 3; ++r) {
        std::vector<train::ParamRange> share;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          const auto s = train::share_of(sizes[i], r, 3);
          share.push_back({i, s.begin, s.end});
        }
        // The other ranks' elements are theirs: this step must leave them as they are.
        Copy before = split;
        ASSERT_TRUE(ranks[static_cast<std::size_t>(r)]->step(split_params, share));
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          const auto s = train::share_of(sizes[i], r, 3);
          for (std::size_t j = 0; j < sizes[i]; ++j) {
            if (j >= s.begin && j < s.end) continue;
            ASSERT_EQ(split.values[i][j], before.values[i][j]) << "outside the share: " << j;
          }
        }
      }
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::vector<float> a(whole.values[i].span().begin(), whole.values[i].span().end());
      std::vector<float> b(split.values[i].span().begin(), split.values[i].span().end());
      EXPECT_TRUE(same_bits(a, b)) << "parameter " << i;
    }
    // The state each rank kept is current on its share only; the shares together are the whole.
    const auto want = one->state(whole_params);
    for (std::size_t k = 0; k < want.size(); ++k) {
      const std::size_t param = k * sizes.size() / want.size();
      for (std::size_t j = 0; j < want[k].values->size(); ++j) {
        int owner = 0;
        while (!(j < train::share_of(sizes[param], owner, 3).end)) ++owner;
        const auto got = ranks[static_cast<std::size_t>(owner)]->state(split_params);
        ASSERT_EQ((*got[k].values)[j], (*want[k].values)[j]) << want[k].name << " " << j;
      }
    }
    const train::ParamRange past{0, 0, sizes[0] + 1}, reversed{3, 5, 4}, no_such{4, 0, 0};
    for (const auto& bad : {past, reversed, no_such}) {
      EXPECT_THROW((void)one->step(whole_params, std::span(&bad, 1)), std::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace rectify
