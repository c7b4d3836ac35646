#include "rectify/train/optimizer.hpp"

#include "rectify/train/finite_check.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rectify/act/parallel.hpp"
#include "rectify/train/simd/adam.hpp"

namespace rectify::train {
namespace {

// Per-parameter state vectors, sized on the first step.
void ensure_state(std::vector<std::vector<float>>& state, const std::vector<nn::Param>& params) {
  if (state.size() == params.size()) return;
  state.clear();
  for (const auto& p : params) state.emplace_back(p.value->size(), 0.0f);
}

// Elements per task of an update loop: tens of microseconds of work, and pieces of one tensor
// for the pool when a tensor is large.
constexpr std::size_t kElementsPerTask = 32768;

// update(i, begin, end) over elements [begin, end) of params[i], every parameter's elements in
// blocks split over the pool; false when any block's update returned false (a non-finite
// parameter). The updates are elementwise, so the result does not depend on the split.
template <class Update>
bool update_in_blocks(const std::vector<nn::Param>& params, const Update& update) {
  struct Block {
    std::size_t param, begin, end;
  };
  std::vector<Block> blocks;
  std::size_t total = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::size_t n = params[i].value->size();
    for (std::size_t b = 0; b < n; b += kElementsPerTask) {
      blocks.push_back({i, b, std::min(n, b + kElementsPerTask)});
    }
    total += n;
  }
  std::vector<char> finite(blocks.size());
  detail::for_each_task(blocks.size(), detail::threads_for(total, kElementsPerTask),
                        [&](std::size_t t, std::size_t) {
                          const Block& b = blocks[t];
                          finite[t] = update(b.param, b.begin, b.end);
                        });
  return std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
}

}  // namespace

Sgd::Sgd(const SgdOptions& o) : Optimizer(o.lr), o_(o) {}

std::vector<Optimizer::StateTensor> Sgd::state(const std::vector<nn::Param>& params) {
  ensure_state(velocity_, params);
  std::vector<StateTensor> out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out.push_back({"sgd.velocity." + params[i].name, &velocity_[i]});
  }
  return out;
}

bool Sgd::step(const std::vector<nn::Param>& params) {
  ensure_state(velocity_, params);
  ++steps_;
  const auto lr = static_cast<float>(lr_), mu = static_cast<float>(o_.momentum);
  const auto wd = static_cast<float>(o_.weight_decay);
  return update_in_blocks(params, [&](std::size_t i, std::size_t begin, std::size_t end) {
    float* w = params[i].value->data() + begin;
    const float* g = params[i].grad->data() + begin;
    float* v = velocity_[i].data() + begin;
    const std::size_t n = end - begin;
    NonFiniteFlag non_finite;
    // One loop per rule with no branch inside: a branch in the loop kept it scalar.
    const auto update = [&](auto rule) {
      for (std::size_t j = 0; j < n; ++j) {
        w[j] -= lr * rule(g[j] + wd * w[j], v[j]);
        non_finite.see(w[j]);
      }
    };
    if (mu == 0.0f) {
      update([](float grad, float&) { return grad; });
    } else if (o_.nesterov) {
      update([mu](float grad, float& vj) { return grad + mu * (vj = mu * vj + grad); });
    } else {
      update([mu](float grad, float& vj) { return vj = mu * vj + grad; });
    }
    return !non_finite.any();
  });
}

Adam::Adam(const AdamOptions& o) : Optimizer(o.lr), o_(o) {}

std::vector<Optimizer::StateTensor> Adam::state(const std::vector<nn::Param>& params) {
  ensure_state(m_, params);
  ensure_state(v_, params);
  std::vector<StateTensor> out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out.push_back({"adam.m." + params[i].name, &m_[i]});
    out.push_back({"adam.v." + params[i].name, &v_[i]});
  }
  return out;
}

bool Adam::step(const std::vector<nn::Param>& params) {
  ensure_state(m_, params);
  ensure_state(v_, params);
  ++steps_;
  const double c1 = 1 - std::pow(o_.beta1, static_cast<double>(steps_));
  const double c2 = 1 - std::pow(o_.beta2, static_cast<double>(steps_));
  const auto b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2);
  const auto step = static_cast<float>(lr_ / c1);
  const auto root_c2 = static_cast<float>(std::sqrt(c2)), eps = static_cast<float>(o_.eps);
  const auto wd = static_cast<float>(o_.weight_decay), lr = static_cast<float>(lr_);
  const AdamUpdate update{b1, b2, step, root_c2, eps, wd, lr, o_.decoupled};
  return update_in_blocks(params, [&](std::size_t i, std::size_t begin, std::size_t end) {
    return adam_update(update, params[i].value->data() + begin, params[i].grad->data() + begin,
                       m_[i].data() + begin, v_[i].data() + begin, end - begin);
  });
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, double lr, double momentum,
                                          double weight_decay) {
  if (name == "sgd" || name == "sgd_nesterov") {
    return std::make_unique<Sgd>(SgdOptions{.lr = lr > 0 ? lr : 0.01,
                                            .momentum = momentum,
                                            .weight_decay = weight_decay,
                                            .nesterov = name == "sgd_nesterov"});
  }
  if (name == "adam" || name == "adamw") {
    return std::make_unique<Adam>(AdamOptions{
        .lr = lr > 0 ? lr : 0.001, .weight_decay = weight_decay, .decoupled = name == "adamw"});
  }
  throw std::invalid_argument(
      fmt::format("unknown optimizer '{}'; known: sgd, sgd_nesterov, adam, adamw", name));
}

}  // namespace rectify::train
