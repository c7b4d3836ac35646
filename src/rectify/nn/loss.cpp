#include "rectify/nn/loss.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rectify/act/reference.hpp"

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

namespace {
void check_targets(std::string_view loss, const Tensor& y, std::span<const float> targets) {
  if (targets.size() != y.size()) {
    throw std::invalid_argument(fmt::format("{}: {} targets for an output {} of {} elements", loss,
                                            targets.size(), y.shape().to_string(), y.size()));
  }
}
}  // namespace

double binary_cross_entropy_with_logits(const Tensor& logits, std::span<const float> targets,
                                        Tensor* dlogits) {
  check_targets("binary_cross_entropy_with_logits", logits, targets);
  if (dlogits) dlogits->resize(logits.shape());
  const auto n = static_cast<double>(logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i], t = targets[i];
    sum += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::fabs(z)));
    if (dlogits) (*dlogits)[i] = static_cast<float>((ref::sigmoid(z) - t) / n);
  }
  return sum / n;
}

double mean_squared_error(const Tensor& y, std::span<const float> targets, Tensor* dy) {
  check_targets("mean_squared_error", y, targets);
  if (dy) dy->resize(y.shape());
  const auto n = static_cast<double>(y.size());
  double sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = double(y[i]) - targets[i];
    sum += d * d;
    if (dy) (*dy)[i] = static_cast<float>(2 * d / n);
  }
  return sum / n;
}

}  // namespace rectify::nn
