// A contiguous float tensor of up to 4 dimensions, 64-byte aligned. Layers keep their outputs
// and gradients in tensors that are sized once per batch shape and then reused.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace rectify::nn {

struct Shape {
  std::array<std::size_t, 4> dims{};
  std::size_t rank = 0;

  Shape() = default;
  Shape(std::initializer_list<std::size_t> d);  // std::invalid_argument above 4 dimensions
  std::size_t operator[](std::size_t i) const { return dims[i]; }
  std::size_t size() const;       // product of the dimensions (1 for rank 0)
  std::string to_string() const;  // "(64, 784)"
  friend bool operator==(const Shape& a, const Shape& b);
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape);  // zero-filled
  Tensor(const Tensor& other);   // a deep copy
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  // Changes the shape; reallocates only when the storage is too small. Contents are unspecified
  // after a reallocation.
  void resize(const Shape& shape);
  void fill(float v);

  const Shape& shape() const { return shape_; }
  std::size_t size() const { return shape_.size(); }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::span<float> span() { return {data_.get(), size()}; }
  std::span<const float> span() const { return {data_.get(), size()}; }
  float& operator[](std::size_t i) { return data_[i]; }
  float operator[](std::size_t i) const { return data_[i]; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  Shape shape_;
  std::size_t capacity_ = 0;
  std::unique_ptr<float[], Free> data_;
};

// Throws std::invalid_argument "<layer>: expected <what> <want>, got <got>" when shapes differ.
void check_shape(std::string_view layer, std::string_view what, const Shape& got,
                 const Shape& want);

}  // namespace rectify::nn
