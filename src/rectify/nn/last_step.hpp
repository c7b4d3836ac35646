// The last time step of a sequence: (B, T, H) -> (B, H), as a model reading an RNN's final
// hidden state takes it. Backward puts dy at the last step and zeros elsewhere.
#pragma once

#include <string>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class LastStep : public Layer {
 public:
  explicit LastStep(std::string name) : name_(std::move(name)) {}
  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Shape input_;
  Tensor y_, dx_;
};

}  // namespace rectify::nn
