// Layers in order: forward is the flat list of calls, backward the same list reversed.
#pragma once

#include <memory>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class Sequential {
 public:
  void add(std::unique_ptr<Layer> layer) { layers_.push_back(std::move(layer)); }
  const Tensor& forward(const Tensor& x, bool training);
  void backward(const Tensor& dy);  // the input's gradient is not needed, so not returned
  std::vector<Param> params();
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace rectify::nn
