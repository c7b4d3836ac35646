#include "rectify/nn/tensor.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace rectify::nn {

Shape::Shape(std::initializer_list<std::size_t> d) {
  if (d.size() > dims.size()) {
    throw std::invalid_argument(fmt::format("Shape: at most 4 dimensions, got {}", d.size()));
  }
  std::copy(d.begin(), d.end(), dims.begin());
  rank = d.size();
}

std::size_t Shape::size() const {
  std::size_t n = 1;
  for (std::size_t i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (std::size_t i = 0; i < rank; ++i) s += fmt::format("{}{}", i ? ", " : "", dims[i]);
  return s + ")";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank != b.rank) return false;
  for (std::size_t i = 0; i < a.rank; ++i) {
    if (a.dims[i] != b.dims[i]) return false;
  }
  return true;
}

void Tensor::Free::operator()(float* p) const {
  std::free(p);
}

Tensor::Tensor(Shape shape) {
  resize(shape);
  fill(0.0f);
}

Tensor::Tensor(const Tensor& other) {
  *this = other;
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) {
    resize(other.shape_);
    std::copy_n(other.data(), other.size(), data());
  }
  return *this;
}

void Tensor::resize(const Shape& shape) {
  const std::size_t n = shape.size();
  if (n > capacity_) {
    const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (p == nullptr) throw std::bad_alloc();
    data_.reset(p);
    capacity_ = n;
  }
  shape_ = shape;
}

void Tensor::fill(float v) {
  std::fill_n(data_.get(), size(), v);
}

void check_shape(std::string_view layer, std::string_view what, const Shape& got,
                 const Shape& want) {
  if (!(got == want)) {
    throw std::invalid_argument(
        fmt::format("{}: expected {} {}, got {}", layer, what, want.to_string(), got.to_string()));
  }
}

}  // namespace rectify::nn
