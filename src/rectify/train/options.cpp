#include "rectify/train/options.hpp"

#include <fmt/format.h>
#include <limits>
#include <stdexcept>

#include "rectify/act/activation.hpp"

namespace rectify::train {
namespace {

template <class T>
void check_range(const char* key, T value, T lo, T hi) {
  if (!(value >= lo && value <= hi)) {  // NaN fails both
    throw std::invalid_argument(fmt::format("{} = {}: expected {} to {}", key, value, lo, hi));
  }
}

}  // namespace

void check_options(const TrainOptions& o) {
  constexpr double kHuge = std::numeric_limits<double>::max();  // finite
  const auto unknown = [](const char* key, const std::string& value, const char* known) {
    throw std::invalid_argument(fmt::format("{} = '{}': unknown; known: {}", key, value, known));
  };
  if (o.model != "mlp" && o.model != "cnn" && o.model != "rnn" && o.model != "deep") {
    unknown("model", o.model, "mlp, cnn, rnn, deep");
  }
  try {
    Activation::parse(o.activation);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("activation = '{}': {}", o.activation, e.what()));
  }
  if (o.optimizer != "sgd" && o.optimizer != "sgd_nesterov" && o.optimizer != "adam" &&
      o.optimizer != "adamw") {
    unknown("optimizer", o.optimizer, "sgd, sgd_nesterov, adam, adamw");
  }
  if (o.schedule != "constant" && o.schedule != "step" && o.schedule != "cosine") {
    unknown("schedule", o.schedule, "constant, step, cosine");
  }
  check_range("epochs", o.epochs, 1, kMaxEpochs);
  check_range("batch", o.batch, std::size_t{1}, kMaxBatch);
  check_range("lr", o.lr, 0.0, kHuge);  // 0: the optimizer's default
  check_range("momentum", o.momentum, 0.0, 1.0);
  check_range("weight_decay", o.weight_decay, 0.0, kHuge);
  check_range("max_grad_norm", o.max_grad_norm, 0.0, kHuge);
  check_range("dropout", o.dropout, 0.0, 0.99);
  check_range("hidden_bias", o.hidden_bias, -kHuge, kHuge);
  check_range("init_scale", o.init_scale, 1e-3, 1e3);
  if (!o.init.empty()) parse_init(o.init);
}

Init parse_init(std::string_view name) {
  for (const Init i :
       {Init::he_normal, Init::he_uniform, Init::lecun_normal, Init::glorot_uniform}) {
    if (init_name(i) == name) return i;
  }
  throw std::invalid_argument(fmt::format(
      "unknown init '{}'; known: he_normal, he_uniform, lecun_normal, glorot_uniform", name));
}

}  // namespace rectify::train
