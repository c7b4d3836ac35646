// The models `rectify train` knows.
#pragma once

#include <random>
#include <string>

#include "rectify/act/activation.hpp"
#include "rectify/nn/sequential.hpp"

namespace rectify::train {

// The seeds' MLP: Linear(784 -> 128, activation) + Linear(128 -> 10) (logits).
nn::Sequential make_mlp(const Activation& activation, std::mt19937_64& rng,
                        std::size_t inputs = 784, std::size_t hidden = 128,
                        std::size_t classes = 10);

// By name: "mlp". std::invalid_argument naming the known models otherwise.
nn::Sequential make_model(const std::string& name, const Activation& activation,
                          std::mt19937_64& rng);

}  // namespace rectify::train
