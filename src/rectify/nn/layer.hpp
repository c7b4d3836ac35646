// The interface every layer implements. Forward and backward are written by hand; there is no
// autograd graph. A model's forward is a flat list of layer calls, backward the same reversed.
//
// Gradient rule, everywhere: backward() OVERWRITES the parameter gradients (it never
// accumulates), so no zero_grad step exists or is needed.
#pragma once

#include <string>
#include <vector>

#include "rectify/diag/probe.hpp"
#include "rectify/nn/tensor.hpp"

namespace rectify::nn {

// A learnable tensor and its gradient, as optimizers and checkpoints see it.
struct Param {
  std::string name;  // e.g. "fc1.weight"
  Tensor* value;
  Tensor* grad;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // y for input x; the returned tensor is owned by the layer and valid until the next forward.
  // `training` selects what backward needs to keep (and dropout's behaviour).
  virtual const Tensor& forward(const Tensor& x, bool training) = 0;
  // dx for dy (the gradient at this layer's output of the last training forward); writes every
  // element of the parameter gradients, into the tensors params() names as they are now (no
  // pointer into them is kept between calls: data-parallel training swaps their storage).
  virtual const Tensor& backward(const Tensor& dy) = 0;
  virtual std::vector<Param> params() { return {}; }
  // The diagnostics probes of the layer's activations (none for layers without one).
  virtual std::vector<diag::ActivationProbe*> probes() { return {}; }
  virtual std::string name() const = 0;
};

}  // namespace rectify::nn
