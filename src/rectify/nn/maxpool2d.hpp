// MaxPool2d(kernel, stride) on NCHW tensors, no padding: each output is the largest value of its
// k x k window, H' = (H - k) / stride + 1 (rows and columns past the last window are dropped, as
// PyTorch does). The argmax of each window is kept for backward, which sends the gradient there.
//
// As PyTorch's CPU kernel: a tie goes to the first position of the window (row by row); a NaN
// wins over every number, so NaN in the window gives NaN out and the gradient goes to the NaN
// (the last one when there are several).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class MaxPool2d : public Layer {
 public:
  // std::invalid_argument for a zero kernel or stride.
  MaxPool2d(std::string name, std::size_t kernel, std::size_t stride);

  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::string name() const override { return name_; }

  // The output shape for an input shape; std::invalid_argument naming the layer when the input
  // is not (B, C, H, W) or is smaller than the kernel.
  Shape output_shape(const Shape& input) const;

 private:
  std::string name_;
  std::size_t kernel_, stride_;
  Tensor y_, dx_;
  Shape x_shape_;                      // of the last forward
  std::vector<std::uint32_t> argmax_;  // per output: the index of its max in the input plane
};

}  // namespace rectify::nn
