// Dropout, and AlphaDropout (SELU's companion, Klambauer et al. 2017): in training each element
// is dropped with probability p; at inference both are the identity.
//   Dropout:      kept x / (1 - p), dropped 0.
//   AlphaDropout: kept a x + b, dropped a alpha' + b, with alpha' = -scale alpha of SELU and
//                 a, b chosen so that zero mean and unit variance are kept (as PyTorch does).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class Dropout : public Layer {
 public:
  // p in [0, 1): std::invalid_argument otherwise. seed fixes the drops of a run.
  Dropout(std::string name, double p, std::uint64_t seed, bool alpha = false);

  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::string name() const override { return name_; }
  // Restarts the drops from `seed`: a trainer reseeds per epoch, so a run resumed at an epoch
  // boundary drops exactly what the uninterrupted run drops.
  void reseed(std::uint64_t seed) { rng_.seed(seed); }
  // The generator of the drops, for a checkpoint taken in the middle of an epoch.
  const std::mt19937_64& rng() const { return rng_; }
  void set_rng(const std::mt19937_64& rng) { rng_ = rng; }

 private:
  std::string name_;
  double p_;
  float keep_scale_, drop_value_;  // y = kept ? keep_scale x + shift : drop_value
  float shift_;
  std::mt19937_64 rng_;
  std::vector<std::uint8_t> kept_;
  bool trained_ = false;  // whether the last forward dropped anything
  Tensor y_, dx_;
};

}  // namespace rectify::nn
