#include "rectify/nn/last_step.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <stdexcept>

namespace rectify::nn {

const Tensor& LastStep::forward(const Tensor& x, bool) {
  const Shape& s = x.shape();
  if (s.rank != 3 || s[1] == 0) {
    throw std::invalid_argument(fmt::format(
        "{}: expected an input of shape (batch, steps, features), got {}", name_, s.to_string()));
  }
  input_ = s;
  const std::size_t batch = s[0], steps = s[1], features = s[2];
  y_.resize(Shape{batch, features});
  for (std::size_t b = 0; b < batch; ++b) {
    const float* last = x.data() + (b * steps + steps - 1) * features;
    std::copy_n(last, features, y_.data() + b * features);
  }
  return y_;
}

const Tensor& LastStep::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  const std::size_t batch = input_[0], steps = input_[1], features = input_[2];
  dx_.resize(input_);
  dx_.fill(0.0f);
  for (std::size_t b = 0; b < batch; ++b) {
    std::copy_n(dy.data() + b * features, features,
                dx_.data() + (b * steps + steps - 1) * features);
  }
  return dx_;
}

}  // namespace rectify::nn
