#include "rectify/nn/sequential.hpp"

namespace rectify::nn {

const Tensor& Sequential::forward(const Tensor& x, bool training) {
  const Tensor* h = &x;
  for (auto& layer : layers_) h = &layer->forward(*h, training);
  return *h;
}

void Sequential::backward(const Tensor& dy, const std::function<void(std::size_t)>& after_layer) {
  const Tensor* g = &dy;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    g = &layers_[i]->backward(*g);
    if (after_layer) after_layer(i);
  }
  for (auto& layer : layers_) {
    for (auto* p : layer->probes()) p->end_batch();
  }
}

std::vector<Param> Sequential::params() {
  std::vector<Param> all;
  for (auto& layer : layers_) {
    for (auto& p : layer->params()) all.push_back(p);
  }
  return all;
}

}  // namespace rectify::nn
