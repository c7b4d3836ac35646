// A layer for any function of the registry, built from its descriptor. Keeps for backward only
// what the metadata says is enough (SavedActivation). PReLU learns its slopes (one per channel of
// dimension 1, or one shared); CReLU doubles dimension 1.
#pragma once

#include <memory>
#include <string>

#include "rectify/act/channels.hpp"
#include "rectify/nn/layer.hpp"
#include "rectify/nn/saved_activation.hpp"

namespace rectify::nn {

class ActivationLayer : public Layer {
 public:
  // channels: PReLU's number of slopes (0: one shared slope); ignored by the other functions.
  ActivationLayer(std::string name, const Activation& a, std::size_t channels = 0);

  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::vector<Param> params() override;
  std::vector<diag::ActivationProbe*> probes() override { return {probe_.get()}; }
  std::string name() const override { return name_; }

 private:
  ChannelLayout layout(const Shape& s) const;
  std::string name_;
  SavedActivation act_;
  std::unique_ptr<diag::ActivationProbe> probe_;
  Tensor slopes_, dslopes_;  // PReLU only
  Tensor y_, dx_;
  const Tensor* x_ = nullptr;
};

}  // namespace rectify::nn
