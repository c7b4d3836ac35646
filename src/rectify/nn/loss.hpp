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

// Binary cross-entropy on logits, mean over every element: max(z, 0) - z t + log1p(exp(-|z|)),
// stable for any z. targets in [0, 1], the shape of logits. dlogits = (sigmoid(z) - t) / N.
double binary_cross_entropy_with_logits(const Tensor& logits, std::span<const float> targets,
                                        Tensor* dlogits);

// Mean squared error over every element; dy = 2 (y - t) / N.
double mean_squared_error(const Tensor& y, std::span<const float> targets, Tensor* dy);

}  // namespace rectify::nn
