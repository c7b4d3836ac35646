#include "rectify/train/models.hpp"

#include <fmt/format.h>
#include <memory>
#include <stdexcept>

#include "rectify/act/registry.hpp"
#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/conv2d.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/flatten.hpp"
#include "rectify/nn/last_step.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/maxpool2d.hpp"
#include "rectify/nn/rnn.hpp"

namespace rectify::train {

namespace {

// Functions that fit a GEMM epilogue go into the Linear or Conv2d before them; the others (prelu
// learns slopes, crelu doubles the width) are layers of their own. Adds that layer when the
// function is not fused; returns the width after it.
std::size_t add_unfused(nn::Sequential& model, const std::string& name, const Activation& a,
                        std::size_t width) {
  if (fusable(a)) return width;
  model.add(std::make_unique<nn::ActivationLayer>(name, a, width));
  return width_factor(a) * width;
}

// Dropout before the classifier: AlphaDropout for SELU (it keeps SELU's normalisation).
void add_dropout(nn::Sequential& model, const Activation& a, double p, std::mt19937_64& rng) {
  if (p <= 0) return;
  model.add(std::make_unique<nn::Dropout>("dropout", p, rng(), info(a).layer.alpha_dropout));
}

std::optional<Activation> fused(const Activation& a) {
  return fusable(a) ? std::optional(a) : std::nullopt;
}

}  // namespace

nn::Sequential make_mlp(const Activation& activation, std::mt19937_64& rng, std::size_t inputs,
                        std::size_t hidden, std::size_t classes, double dropout) {
  nn::Sequential model;
  auto fc1 = std::make_unique<nn::Linear>("fc1", inputs, hidden, fused(activation), rng);
  fc1->set_input_grad(false);
  model.add(std::move(fc1));
  const std::size_t width = add_unfused(model, "act1", activation, hidden);
  add_dropout(model, activation, dropout, rng);
  model.add(std::make_unique<nn::Linear>("fc2", width, classes, std::nullopt, rng));
  return model;
}

nn::Sequential make_deep_mlp(const Activation& activation, std::mt19937_64& rng, std::size_t depth,
                             std::size_t width) {
  if (depth < 2) throw std::invalid_argument("make_deep_mlp: depth must be at least 2");
  nn::Sequential model;
  std::size_t in = 784;
  for (std::size_t l = 1; l < depth; ++l) {
    auto fc =
        std::make_unique<nn::Linear>(fmt::format("fc{}", l), in, width, fused(activation), rng);
    if (l == 1) fc->set_input_grad(false);
    model.add(std::move(fc));
    in = add_unfused(model, fmt::format("act{}", l), activation, width);
  }
  model.add(std::make_unique<nn::Linear>(fmt::format("fc{}", depth), in, 10, std::nullopt, rng));
  return model;
}

nn::Sequential make_cnn(const Activation& activation, std::mt19937_64& rng, double dropout) {
  nn::Sequential model;
  auto conv1 = std::make_unique<nn::Conv2d>("conv1", 1, 32, 3, 1, 0, fused(activation), rng);
  conv1->set_input_grad(false);
  model.add(std::move(conv1));  // (B, 32, 26, 26)
  std::size_t channels = add_unfused(model, "act1", activation, 32);
  model.add(std::make_unique<nn::MaxPool2d>("pool1", 2, 2));  // (B, 32, 13, 13)
  model.add(std::make_unique<nn::Conv2d>("conv2", channels, 64, 3, 1, 0, fused(activation), rng));
  channels = add_unfused(model, "act2", activation, 64);      // (B, 64, 11, 11)
  model.add(std::make_unique<nn::MaxPool2d>("pool2", 2, 2));  // (B, 64, 5, 5)
  model.add(std::make_unique<nn::Flatten>("flatten"));        // (B, 1600)
  model.add(std::make_unique<nn::Linear>("fc1", channels * 25, 128, fused(activation), rng));
  const std::size_t width = add_unfused(model, "act3", activation, 128);
  add_dropout(model, activation, dropout, rng);
  model.add(std::make_unique<nn::Linear>("fc2", width, 10, std::nullopt, rng));
  return model;
}

nn::Sequential make_rnn(const Activation& activation, bool identity_init, std::mt19937_64& rng) {
  nn::Sequential model;
  auto rnn = std::make_unique<nn::RNN>("rnn", 28, 128, 1, activation, identity_init, rng);
  rnn->set_input_grad(false);
  model.add(std::move(rnn));                          // (B, 28, 128)
  model.add(std::make_unique<nn::LastStep>("last"));  // (B, 128)
  model.add(std::make_unique<nn::Linear>("fc", 128, 10, std::nullopt, rng));
  return model;
}

nn::Sequential make_model(const std::string& name, const Activation& activation,
                          std::mt19937_64& rng, bool identity_init, double dropout) {
  if (name == "mlp") return make_mlp(activation, rng, 784, 128, 10, dropout);
  if (name == "cnn") return make_cnn(activation, rng, dropout);
  if (name == "rnn") return make_rnn(activation, identity_init, rng);
  if (name == "deep") return make_deep_mlp(activation, rng);
  throw std::invalid_argument(fmt::format("unknown model '{}'; known: mlp, cnn, rnn, deep", name));
}

nn::Shape model_input_shape(const std::string& name, std::size_t batch, std::size_t rows,
                            std::size_t cols) {
  if (name == "cnn") return nn::Shape{batch, 1, rows, cols};
  if (name == "rnn") return nn::Shape{batch, rows, cols};
  return nn::Shape{batch, rows * cols};
}

}  // namespace rectify::train
