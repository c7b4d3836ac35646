#include "rectify/train/optimizer.hpp"

#include <fmt/format.h>
#include <cmath>
#include <stdexcept>

namespace rectify::train {
namespace {

// Per-parameter state vectors, sized on the first step.
void ensure_state(std::vector<std::vector<float>>& state, const std::vector<nn::Param>& params) {
  if (state.size() == params.size()) return;
  state.clear();
  for (const auto& p : params) state.emplace_back(p.value->size(), 0.0f);
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

void Sgd::step(const std::vector<nn::Param>& params) {
  ensure_state(velocity_, params);
  ++steps_;
  const auto lr = static_cast<float>(lr_), mu = static_cast<float>(o_.momentum);
  const auto wd = static_cast<float>(o_.weight_decay);
  for (std::size_t i = 0; i < params.size(); ++i) {
    float* w = params[i].value->data();
    const float* g = params[i].grad->data();
    float* v = velocity_[i].data();
    const std::size_t n = params[i].value->size();
    for (std::size_t j = 0; j < n; ++j) {
      const float grad = g[j] + wd * w[j];
      if (mu == 0.0f) {
        w[j] -= lr * grad;
        continue;
      }
      v[j] = mu * v[j] + grad;
      w[j] -= lr * (o_.nesterov ? grad + mu * v[j] : v[j]);
    }
  }
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

void Adam::step(const std::vector<nn::Param>& params) {
  ensure_state(m_, params);
  ensure_state(v_, params);
  ++steps_;
  const double c1 = 1 - std::pow(o_.beta1, static_cast<double>(steps_));
  const double c2 = 1 - std::pow(o_.beta2, static_cast<double>(steps_));
  const auto b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2);
  const auto step = static_cast<float>(lr_ / c1);
  const auto root_c2 = static_cast<float>(std::sqrt(c2)), eps = static_cast<float>(o_.eps);
  const auto wd = static_cast<float>(o_.weight_decay), lr = static_cast<float>(lr_);
  for (std::size_t i = 0; i < params.size(); ++i) {
    float* w = params[i].value->data();
    const float* g = params[i].grad->data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    const std::size_t n = params[i].value->size();
    for (std::size_t j = 0; j < n; ++j) {
      float grad = g[j];
      if (o_.decoupled) {
        w[j] -= lr * wd * w[j];
      } else {
        grad += wd * w[j];
      }
      m[j] = b1 * m[j] + (1 - b1) * grad;
      v[j] = b2 * v[j] + (1 - b2) * grad * grad;
      w[j] -= step * m[j] / (std::sqrt(v[j]) / root_c2 + eps);
    }
  }
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
