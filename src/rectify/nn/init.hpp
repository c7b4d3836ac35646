// Weight initializers, and the gain each activation asks for (He/Kaiming: sqrt(2 / (1 + a^2))
// with a the negative slope; LeCun normal for SELU; Glorot for sigmoid and tanh).
#pragma once

#include <optional>
#include <random>
#include <span>

#include "rectify/act/activation.hpp"
#include "rectify/act/registry.hpp"

namespace rectify::nn {

// A standard normal draw from the generator's bits alone (Box-Muller), so that a seed gives the
// same weights on every platform (std::normal_distribution's algorithm is unspecified).
float standard_normal(std::mt19937_64& rng);
// Uniform in [-limit, limit), from the generator's bits alone.
float uniform_symmetric(std::mt19937_64& rng, float limit);

// Fills w (fan_out rows of fan_in) with `init`, or when it is empty with the activation's
// default initializer; layers with no activation default to Glorot uniform. He normal draws
// N(0, gain^2 / fan_in), He uniform U(-gain sqrt(3 / fan_in), +gain sqrt(3 / fan_in)).
void init_weights(std::span<float> w, std::size_t fan_in, std::size_t fan_out, const Activation* a,
                  std::mt19937_64& rng, std::optional<Init> init = {});

}  // namespace rectify::nn
