// RNN(input, hidden, layers, f): an Elman network as PyTorch's nn.RNN(input_size, hidden_size,
// num_layers, nonlinearity, batch_first=True). x (B, T, I) -> y (B, T, H), the top layer's hidden
// state at every step (a classifier takes the last one). For each layer l and step t:
//
//   h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   h_0 = 0,
//
// where x_t is the input at step t for layer 0 and the hidden state of layer l - 1 above it.
// Parameters are named as PyTorch names them ("rnn.weight_ih_l0" (H, I), "rnn.weight_hh_l0"
// (H, H), "rnn.bias_ih_l0", "rnn.bias_hh_l0", then _l1, ...), so a checkpoint loads into
// nn.RNN by name.
//
// The GEMMs are OpenBLAS's (CBLAS). Forward: one GEMM projects the input of all T steps of a
// layer, then one (B, H) x (H, H) GEMM per step adds the recurrence, and the activation runs
// through the library's kernels, keeping for backward what SavedActivation keeps (the 1-bit mask
// for relu, the output for tanh). Backward is backpropagation through time over every step and
// layer; the weight gradients are each one GEMM over all steps. Hidden states are stored time-major
// (T, B, H) inside the layer so that a step's rows are contiguous.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "rectify/nn/layer.hpp"
#include "rectify/nn/saved_activation.hpp"

namespace rectify::nn {

class RNN : public Layer {
 public:
  // nonlinearity: relu and tanh are PyTorch's two; any other registry function works the same way
  // (leaky_relu, elu, gelu_erf, ...) except crelu (it doubles the width) and prelu (its slope is
  // learned, and the RNN holds no slope parameter): std::invalid_argument for those, and for a
  // zero size or layer count.
  //
  // Initialisation: PyTorch's default, every weight and bias U(-1/sqrt(H), 1/sqrt(H)). With
  // identity_init, the IRNN of Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent
  // Networks of Rectified Linear Units" (arXiv:1504.00941): W_hh = I and both biases 0, so that at
  // the start the state is carried unchanged from step to step and error derivatives flow back
  // undiminished (the paper's recipe). The input weights W_ih get the small Gaussian the paper
  // uses for the non-recurrent weights, N(0, 0.001^2), with 0.001 the standard deviation as in
  // Keras' reproduction of its pixel-MNIST run (examples/mnist_irnn.py,
  // RandomNormal(stddev=0.001)). Every layer is initialised the same way. The paper's scaled
  // identity (e.g. 0.01 I, for tasks with short dependencies) is not offered.
  RNN(std::string name, std::size_t input, std::size_t hidden, std::size_t layers,
      const Activation& nonlinearity, bool identity_init, std::mt19937_64& rng);

  // x (B, T, I) -> y (B, T, H). std::invalid_argument naming the layer and both shapes otherwise.
  // x must stay alive until backward (its weight gradient reads it), as for Linear.
  const Tensor& forward(const Tensor& x, bool training) override;
  // dy (B, T, H) -> dx (B, T, I); overwrites every parameter gradient. Needs a training forward.
  const Tensor& backward(const Tensor& dy) override;
  std::vector<Param> params() override;
  // One per layer of cells, named "<name>" for a single layer, "<name>.<l>" otherwise.
  std::vector<diag::ActivationProbe*> probes() override;
  std::string name() const override { return name_; }

  // The first layer of a model needs no gradient for its input: skipping it saves a GEMM.
  void set_input_grad(bool needed) { input_grad_ = needed; }
  std::size_t input_size() const { return input_; }
  std::size_t hidden_size() const { return hidden_; }
  std::size_t num_layers() const { return cells_.size(); }
  const Activation& nonlinearity() const { return act_; }

 private:
  // One layer: its parameters and gradients, its hidden states, and what backward keeps.
  struct Cell {
    Tensor w_ih, w_hh, b_ih, b_hh;       // (H, I or H), (H, H), (H), (H)
    Tensor dw_ih, dw_hh, db_ih, db_hh;   // the same shapes
    Tensor h;                            // (T, B, H): z before the activation, then h_t in place
    Tensor g;                            // (T, B, H): dL/dh_t, then dL/dz_t in place
    std::vector<SavedActivation> saved;  // one per step: the mask, output or input of f
    std::unique_ptr<diag::ActivationProbe> probe;  // shared by the steps
  };

  void resize_for(std::size_t batch, std::size_t steps);

  std::string name_;
  std::size_t input_, hidden_;
  Activation act_;
  std::vector<Cell> cells_;
  Tensor y_;                   // (B, T, H): the top layer's states, batch first
  Tensor scratch_;             // (B, T, H): layer 0's input projection; in backward its dz
  Tensor bias_;                // (H): b_ih + b_hh of one layer
  Tensor ones_;                // (T B) of 1: bias gradients as a GEMV
  Tensor dx_;                  // (B, T, I)
  const Tensor* x_ = nullptr;  // the input of the last forward, owned by the caller
  std::size_t batch_ = 0, steps_ = 0;
  bool trained_ = false;  // the last forward kept what backward needs
  bool input_grad_ = true;
};

}  // namespace rectify::nn
