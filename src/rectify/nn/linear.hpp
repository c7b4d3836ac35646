// Linear(in, out, activation): y = f(x W^T + b), W (out, in) as PyTorch lays it out. The bias
// and the activation run in the GEMM's epilogue, block by block of rows while the block is in
// cache. The GEMM is OpenBLAS's (CBLAS).
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>

#include "rectify/act/registry.hpp"
#include "rectify/nn/layer.hpp"
#include "rectify/nn/saved_activation.hpp"

namespace rectify::nn {

class Linear : public Layer {
 public:
  // activation: std::nullopt for none (e.g. the logits). Weights are initialised with the
  // activation's default initializer (init.hpp) from rng; the bias is zero.
  Linear(std::string name, std::size_t in, std::size_t out, std::optional<Activation> activation,
         std::mt19937_64& rng, std::optional<Init> init = {});  // init: overrides the default

  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::vector<Param> params() override;
  std::vector<diag::ActivationProbe*> probes() override {
    return probe_ ? std::vector{probe_.get()} : std::vector<diag::ActivationProbe*>{};
  }
  std::string name() const override { return name_; }

  // The first layer of a model needs no gradient for its input: skipping it saves a GEMM.
  void set_input_grad(bool needed) { input_grad_ = needed; }
  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

 private:
  std::string name_;
  std::size_t in_, out_;
  std::optional<SavedActivation> act_;
  std::unique_ptr<diag::ActivationProbe> probe_;  // with the activation
  Tensor weight_, bias_, dweight_, dbias_;
  Tensor y_, dz_, dx_;
  const Tensor* x_ = nullptr;  // the input of the last forward, owned by the caller
  bool input_grad_ = true;
};

}  // namespace rectify::nn
