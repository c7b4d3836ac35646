// Conv2d(C -> O, k x k, stride, padding, activation) on NCHW tensors: y = f(W * x + b), W
// (O, C, k, k) as PyTorch lays it out. Each image is unfolded into columns (im2col, a buffer
// per thread) and multiplied by W with OpenBLAS's GEMM, the batch's images split over the
// threads; the activation then runs over the batch's output. Results do not depend on the
// thread count.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rectify/act/registry.hpp"
#include "rectify/nn/layer.hpp"
#include "rectify/nn/saved_activation.hpp"

namespace rectify::nn {

class Conv2d : public Layer {
 public:
  // activation: std::nullopt for none. Weights are initialised with the activation's default
  // initializer (fan_in = C k k, fan_out = O k k); the bias is zero. std::invalid_argument for a
  // zero channel count, kernel or stride, or for crelu (it changes the channel count: use an
  // ActivationLayer after the convolution).
  Conv2d(std::string name, std::size_t in_channels, std::size_t out_channels, std::size_t kernel,
         std::size_t stride, std::size_t padding, std::optional<Activation> activation,
         std::mt19937_64& rng, std::optional<Init> init = {});  // init: overrides the default

  // x (B, C, H, W) -> y (B, O, H', W'), H' = (H + 2 padding - kernel) / stride + 1.
  const Tensor& forward(const Tensor& x, bool training) override;
  const Tensor& backward(const Tensor& dy) override;
  std::vector<Param> params() override;
  std::vector<diag::ActivationProbe*> probes() override {
    return probe_ ? std::vector{probe_.get()} : std::vector<diag::ActivationProbe*>{};
  }
  std::string name() const override { return name_; }

  // The first layer of a model needs no gradient for its input: skipping it saves a GEMM and a
  // col2im per image.
  void set_input_grad(bool needed) { input_grad_ = needed; }
  // The output shape for an input shape; std::invalid_argument naming the layer when the input
  // is not (B, C, H, W) or is too small for the kernel.
  Shape output_shape(const Shape& input) const;

 private:
  std::string name_;
  std::size_t in_, out_, kernel_, stride_, padding_;
  std::optional<SavedActivation> act_;
  std::unique_ptr<diag::ActivationProbe> probe_;  // with the activation
  Tensor weight_, bias_, dweight_, dbias_;
  Tensor y_, dz_, dx_;
  std::vector<Tensor> cols_, dcols_;  // per thread (C k k, H' W'): an image unfolded, its gradient
  Tensor dweight_parts_, dbias_parts_;  // (chunks, O C k k), (chunks, O): backward's partial sums
  Tensor ones_;                         // (H' W') of 1: db as a GEMV
  const Tensor* x_ = nullptr;           // the input of the last forward, owned by the caller
  bool input_grad_ = true;
};

}  // namespace rectify::nn
