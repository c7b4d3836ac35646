// Divergence checks for training: whether values stayed finite, cheaply on every step, and which
// tensor went wrong, in detail only once something did.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"
#include "rectify/nn/sequential.hpp"

namespace rectify::train {

// Remembers whether any float it saw was NaN or infinite, in two vector-friendly operations and
// no branch, so that a loop which already touches every element still vectorises with it folded
// in: v - v is +0 for every finite v, and NaN for a NaN or an infinity.
class NonFiniteFlag {
 public:
  void see(float v) { bits_ |= std::bit_cast<std::uint32_t>(v - v); }
  bool any() const { return bits_ != 0; }

 private:
  std::uint32_t bits_ = 0;
};

// The parameters whose gradient, or else whose value, holds a NaN or an infinity, as
// "the gradient of fc1.weight (NaN at element 17), of fc2.bias (inf at element 3)"; empty when
// every one is finite. A full scan: for the error message, not for every step.
std::string describe_non_finite(const std::vector<nn::Param>& params);

// The first layer whose output for x holds a NaN or an infinity (a fresh inference forward),
// as "fc2 (output (64, 10): inf at element 5)"; empty when none does.
std::string first_non_finite_layer(nn::Sequential& model, const nn::Tensor& x);

}  // namespace rectify::train
