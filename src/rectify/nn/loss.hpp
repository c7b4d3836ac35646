// Softmax cross-entropy, fused and numerically stable (log-sum-exp with the row maximum).
#pragma once

#include <cstdint>
#include <span>

#include "rectify/nn/tensor.hpp"

namespace rectify::nn {

struct LossResult {
  double loss = 0;          // mean over the batch
  std::size_t correct = 0;  // rows whose largest logit is the label
};

// logits (B, C), labels (B) in [0, C). Writes dlogits = (softmax(logits) - onehot) / B when it
// is non-null. std::invalid_argument for a shape mismatch or a label out of range.
LossResult softmax_cross_entropy(const Tensor& logits, std::span<const std::int32_t> labels,
                                 Tensor* dlogits);

}  // namespace rectify::nn
