// Layers in order: forward is the flat list of calls, backward the same list reversed.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "rectify/nn/layer.hpp"

namespace rectify::nn {

class Sequential {
 public:
  void add(std::unique_ptr<Layer> layer) { layers_.push_back(std::move(layer)); }
  const Tensor& forward(const Tensor& x, bool training);
  // The input's gradient is not needed, so not returned. `after_layer(i)` is called when layer i
  // (forward order) has written its gradients: a data-parallel step sends them from there.
  void backward(const Tensor& dy, const std::function<void(std::size_t)>& after_layer = {});
  std::vector<Param> params();
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace rectify::nn
