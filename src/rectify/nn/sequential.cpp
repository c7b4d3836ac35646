#include "rectify/nn/sequential.hpp"

namespace rectify::nn {

const Tensor& Sequential::forward(const Tensor& x, bool training) {
  const Tensor* h = &x;
  for (auto& layer : layers_) h = &layer->forward(*h, training);
  return *h;
}

void Sequential::backward(const Tensor& dy) {
  const Tensor* g = &dy;
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) g = &(*it)->backward(*g);
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
