#include "rectify/nn/flatten.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <stdexcept>

namespace rectify::nn {

const Tensor& Flatten::forward(const Tensor& x, bool /*training*/) {
  const Shape& s = x.shape();
  if (s.rank < 2) {
    throw std::invalid_argument(fmt::format(
        "{}: expected an input of shape (batch, ...) with at least 2 dimensions, got {}", name_,
        s.to_string()));
  }
  x_shape_ = s;
  std::size_t features = 1;
  for (std::size_t i = 1; i < s.rank; ++i) features *= s[i];
  y_.resize(Shape{s[0], features});
  std::copy_n(x.data(), x.size(), y_.data());
  return y_;
}

const Tensor& Flatten::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  dx_.resize(x_shape_);
  std::copy_n(dy.data(), dy.size(), dx_.data());
  return dx_;
}

}  // namespace rectify::nn
