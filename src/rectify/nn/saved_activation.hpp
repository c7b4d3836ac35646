// An activation applied to a layer's output, keeping for backward only what the function's
// metadata says is enough: the 1-bit mask, or the output, or (only when neither determines the
// gradient) the input. Shared by Linear's fused epilogue and the standalone activation layer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rectify/act/activation.hpp"
#include "rectify/diag/probe.hpp"
#include "rectify/nn/tensor.hpp"

namespace rectify::nn {

class SavedActivation {
 public:
  explicit SavedActivation(const Activation& a);

  const Activation& activation() const { return act_; }
  // Training forwards and backwards report to this probe (owned by the layer; may be null).
  void set_probe(diag::ActivationProbe* probe) { probe_ = probe; }
  // Sizes the saved state for n elements (no reallocation when it already fits).
  void reserve(std::size_t n);
  // y = f(z) over elements [offset, offset + z.size()) of the whole; z and y may alias. When
  // training, saves what backward needs. offset must be a multiple of 64 (mask words).
  void forward(std::span<const float> z, std::span<float> y, std::size_t offset, bool training);
  // dz = f'(z) dy over the whole, from the saved state; y is the forward output.
  void backward(std::span<const float> y, std::span<const float> dy, std::span<float> dz) const;

  // The same two passes taken apart, for a layer that applies the function block by block on
  // several threads while each block is still in cache: compute() and compute_gradient() touch
  // only their block (offset and size multiples of 64), the probe is told by observe*() over the
  // whole, once, in the order forward() and backward() tell it.
  void compute(std::span<const float> z, std::span<float> y, std::size_t offset, bool training);
  void observe(std::span<const float> y, bool training);
  void observe_gradient_at_output(std::span<const float> dy) const;
  void compute_gradient(std::span<const float> y, std::span<const float> dy, std::span<float> dz,
                        std::size_t offset) const;
  void observe_gradient_at_input(std::span<const float> dz) const;

 private:
  enum class Keep { mask, output, input };
  bool observing(bool training) const { return training && probe_ && probe_->enabled(); }
  // The saved mask bits of elements [offset, offset + n); empty where no mask is kept.
  std::span<const std::uint8_t> mask_bits(std::size_t offset, std::size_t n) const;

  Activation act_;
  Keep keep_;
  std::vector<std::uint8_t> mask_;
  std::vector<float> input_;
  diag::ActivationProbe* probe_ = nullptr;
};

// The gradient before a layer's optional fused activation: dy itself when there is none,
// otherwise f'(z) dy written into `dz` (sized here). y is the layer's forward output.
const Tensor& gradient_before(const std::optional<SavedActivation>& act, const Tensor& y,
                              const Tensor& dy, Tensor& dz);

}  // namespace rectify::nn
