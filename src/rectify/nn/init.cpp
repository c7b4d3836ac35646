#include "rectify/nn/init.hpp"

#include <cmath>
#include <numbers>

namespace rectify::nn {

namespace {
double unit_interval(std::mt19937_64& rng) {  // (0, 1], 53 random bits
  return (static_cast<double>(rng() >> 11) + 1.0) * 0x1p-53;
}
}  // namespace

float standard_normal(std::mt19937_64& rng) {
  const double u1 = unit_interval(rng), u2 = unit_interval(rng);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2));
}

float uniform_symmetric(std::mt19937_64& rng, float limit) {
  return static_cast<float>((2.0 * unit_interval(rng) - 1.0) * limit);
}

void init_weights(std::span<float> w, std::size_t fan_in, std::size_t fan_out, const Activation* a,
                  std::mt19937_64& rng, std::optional<Init> chosen) {
  const Init init = chosen ? *chosen : a ? info(*a).default_init : Init::glorot_uniform;
  const double gain = a ? rectify::he_gain(*a) : std::sqrt(2.0);
  const double in = static_cast<double>(fan_in), out = static_cast<double>(fan_out);
  switch (init) {
    case Init::he_normal:
    case Init::lecun_normal: {
      const double g = init == Init::lecun_normal ? 1.0 : gain;
      const auto stddev = static_cast<float>(g / std::sqrt(in));
      for (auto& v : w) v = stddev * standard_normal(rng);
      return;
    }
    case Init::he_uniform: {
      const auto limit = static_cast<float>(gain * std::sqrt(3.0 / in));
      for (auto& v : w) v = uniform_symmetric(rng, limit);
      return;
    }
    case Init::glorot_uniform: {
      const auto limit = static_cast<float>(std::sqrt(6.0 / (in + out)));
      for (auto& v : w) v = uniform_symmetric(rng, limit);
      return;
    }
  }
}

}  // namespace rectify::nn
