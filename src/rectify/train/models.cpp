#include "rectify/train/models.hpp"

#include <fmt/format.h>
#include <memory>
#include <stdexcept>

#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/linear.hpp"

namespace rectify::train {

nn::Sequential make_mlp(const Activation& activation, std::mt19937_64& rng, std::size_t inputs,
                        std::size_t hidden, std::size_t classes) {
  nn::Sequential model;
  // Functions that fit a GEMM epilogue go into Linear; prelu (learned slopes) and crelu (which
  // doubles the width) are layers of their own.
  const bool fused = activation.fn() != Fn::prelu && activation.fn() != Fn::crelu;
  auto fc1 = std::make_unique<nn::Linear>("fc1", inputs, hidden,
                                          fused ? std::optional(activation) : std::nullopt, rng);
  fc1->set_input_grad(false);
  model.add(std::move(fc1));
  std::size_t width = hidden;
  if (!fused) {
    model.add(std::make_unique<nn::ActivationLayer>("act1", activation, hidden));
    if (activation.fn() == Fn::crelu) width *= 2;
  }
  model.add(std::make_unique<nn::Linear>("fc2", width, classes, std::nullopt, rng));
  return model;
}

nn::Sequential make_model(const std::string& name, const Activation& activation,
                          std::mt19937_64& rng) {
  if (name == "mlp") return make_mlp(activation, rng);
  throw std::invalid_argument(fmt::format("unknown model '{}'; known: mlp", name));
}

}  // namespace rectify::train
