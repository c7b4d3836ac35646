#include "rectify/nn/loss.hpp"

#include <fmt/format.h>
#include <cmath>
#include <stdexcept>

namespace rectify::nn {

LossResult softmax_cross_entropy(const Tensor& logits, std::span<const std::int32_t> labels,
                                 Tensor* dlogits) {
  const Shape& s = logits.shape();
  if (s.rank != 2 || s[0] != labels.size()) {
    throw std::invalid_argument(
        fmt::format("softmax_cross_entropy: expected logits (batch, classes) with batch {}, got {}",
                    labels.size(), s.to_string()));
  }
  const std::size_t batch = s[0], classes = s[1];
  if (dlogits) dlogits->resize(s);
  LossResult r;
  for (std::size_t b = 0; b < batch; ++b) {
    const float* row = logits.data() + b * classes;
    const auto label = labels[b];
    if (label < 0 || static_cast<std::size_t>(label) >= classes) {
      throw std::invalid_argument(fmt::format(
          "softmax_cross_entropy: label {} of row {} is not in [0, {})", label, b, classes));
    }
    std::size_t argmax = 0;
    for (std::size_t c = 1; c < classes; ++c) {
      if (row[c] > row[argmax]) argmax = c;
    }
    const double max = row[argmax];
    double sum = 0;
    for (std::size_t c = 0; c < classes; ++c) sum += std::exp(row[c] - max);
    const double log_sum = std::log(sum) + max;
    r.loss += log_sum - row[label];
    r.correct += argmax == static_cast<std::size_t>(label);
    if (dlogits) {
      float* d = dlogits->data() + b * classes;
      for (std::size_t c = 0; c < classes; ++c) {
        const double p = std::exp(row[c] - log_sum);
        d[c] = static_cast<float>((p - (c == static_cast<std::size_t>(label))) /
                                  static_cast<double>(batch));
      }
    }
  }
  r.loss /= static_cast<double>(batch);
  return r;
}

}  // namespace rectify::nn
