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
                        std::size_t classes = 10, double dropout = 0);

// A small CNN: Conv(1 -> 32, 3x3) + f + pool 2, Conv(32 -> 64, 3x3) + f + pool 2, Flatten,
// Linear(1600 -> 128) + f, Linear(128 -> 10), for 28 x 28 single-channel images.
nn::Sequential make_cnn(const Activation& activation, std::mt19937_64& rng, double dropout = 0);

// The sequence model: the 28 image rows as 28 steps, RNN(28 -> 128, f) + the last step +
// Linear(128 -> 10); identity_init is the IRNN recipe (Le et al. 2015).
nn::Sequential make_rnn(const Activation& activation, bool identity_init, std::mt19937_64& rng);

// The depth study's MLP: `depth` Linear layers, 784 -> width -> ... -> width -> 10, the
// activation after every one but the last (fc1 ... fc<depth>).
nn::Sequential make_deep_mlp(const Activation& activation, std::mt19937_64& rng,
                             std::size_t depth = 10, std::size_t width = 128);

// By name: "mlp", "cnn", "rnn" or "deep" (make_deep_mlp's defaults). std::invalid_argument naming
// the known models otherwise. dropout: the probability of the dropout layer before the last Linear
// (mlp, cnn; 0: none).
nn::Sequential make_model(const std::string& name, const Activation& activation,
                          std::mt19937_64& rng, bool identity_init = true, double dropout = 0);

// The shape a model takes a batch of `batch` images of rows x cols in: (B, rows * cols) for the
// MLP, (B, 1, rows, cols) for the CNN, (B, rows, cols) for the RNN (rows are the steps).
nn::Shape model_input_shape(const std::string& name, std::size_t batch, std::size_t rows,
                            std::size_t cols);

}  // namespace rectify::train
