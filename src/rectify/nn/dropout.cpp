#include "rectify/nn/dropout.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rectify/act/reference.hpp"

namespace rectify::nn {

Dropout::Dropout(std::string name, double p, std::uint64_t seed, bool alpha)
    : name_(std::move(name)), p_(p), rng_(seed) {
  if (!(p >= 0.0 && p < 1.0)) {
    throw std::invalid_argument(fmt::format("{}: p must be in [0, 1), got {}", name_, p));
  }
  if (alpha) {
    const double alpha_prime = -ref::kSeluScale * ref::kSeluAlpha;
    const double a = 1.0 / std::sqrt((1 - p) * (1 + p * alpha_prime * alpha_prime));
    keep_scale_ = static_cast<float>(a);
    shift_ = static_cast<float>(-a * alpha_prime * p);
    drop_value_ = static_cast<float>(a * alpha_prime - a * alpha_prime * p);
  } else {
    keep_scale_ = static_cast<float>(1.0 / (1.0 - p));
    shift_ = 0.0f;
    drop_value_ = 0.0f;
  }
}

const Tensor& Dropout::forward(const Tensor& x, bool training) {
  y_.resize(x.shape());
  trained_ = training && p_ > 0;
  if (!trained_) {
    std::copy_n(x.data(), x.size(), y_.data());
    return y_;
  }
  kept_.resize(x.size());
  // A draw of 53 bits against p: the same drops for a seed on every platform.
  const auto threshold = static_cast<std::uint64_t>(p_ * 0x1p53);
  for (std::size_t i = 0; i < x.size(); ++i) {
    kept_[i] = (rng_() >> 11) >= threshold;
    y_[i] = kept_[i] ? keep_scale_ * x[i] + shift_ : drop_value_;
  }
  return y_;
}

const Tensor& Dropout::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  dx_.resize(dy.shape());
  for (std::size_t i = 0; i < dy.size(); ++i) {
    dx_[i] = !trained_ ? dy[i] : kept_[i] ? keep_scale_ * dy[i] : 0.0f;
  }
  return dx_;
}

}  // namespace rectify::nn
