// Flatten: (B, d1, ...) -> (B, d1 * ...), e.g. a convolution's (B, C, H, W) into a Linear's
// (B, C H W). The elements keep their order (NCHW is already row-major per image), so forward and
// backward are plain copies under the other shape; Tensor owns its storage, so no view.
#pragma once

#include <string>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : name_(std::move(name)) {}

  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Tensor y_, dx_;
  Shape x_shape_;  // of the last forward
};

}  // namespace rectify::nn
