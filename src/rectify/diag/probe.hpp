// The probe an activation layer carries: it watches the blocks the forward and backward kernels
// have just written (still in cache) and accumulates the epoch's statistics. No extra pass over
// the data: sparsity, mean and spread come from a SIMD pass over each fresh output block; dead
// units from the 1-bit mask where the function keeps one with a flat region (relu, relu6, Keras
// relu with zero slope), otherwise from dz = f'(z) dy in backward (dz = 0 where dy != 0 means
// f'(z) = 0); once a unit is seen alive it is not looked at again in the epoch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/act/activation.hpp"
#include "rectify/act/stats.hpp"
#include "rectify/diag/layer_stats.hpp"

namespace rectify::diag {

// How the elements of a batch map to units: element e belongs to unit (e / inner) % units.
// (batch, features): {features, 1}; (batch, channels, h, w): {channels, h * w}.
struct UnitLayout {
  std::size_t units = 1, inner = 1;
  bool operator==(const UnitLayout&) const = default;
};

class ActivationProbe {
 public:
  // from_mask: whether the forward passes will hand over the 1-bit mask of the function.
  ActivationProbe(std::string layer, const Activation& a, bool from_mask = true);

  const std::string& layer() const { return layer_; }
  bool enabled() const { return enabled_; }
  void set_enabled(bool on) { enabled_ = on; }
  // The layout of the pre-activation z. A change of the number of units starts over.
  void set_layout(UnitLayout layout);
  // True when forward's mask tells the dead units (so backward need not look at dz).
  bool reads_mask() const { return flat_mask_; }

  // Forward, after the kernel: outputs y of elements [offset, offset + y.size()) of the batch's
  // z, and the mask bits of the same elements (bit 0 = element offset; empty when none).
  void forward(std::span<const float> y, std::size_t offset, std::span<const std::uint8_t> mask);
  // Forward outputs whose elements do not map to units one to one (crelu doubles them).
  void forward_values(std::span<const float> y) { values_ += value_stats(y); }
  // Backward, before the kernel: the loss gradient at the layer's output.
  void gradient_at_output(std::span<const float> dy);
  // Backward, after the kernel: dz = f'(z) dy for elements [offset, offset + dz.size()).
  void gradient_at_input(std::span<const float> dz, std::size_t offset = 0);
  // One batch ended (the gradient norm is averaged over batches).
  void end_batch() { ++batches_; }

  // The epoch's statistics; starts the next epoch.
  LayerStats end_epoch();

  // This epoch's sums as numbers that add up across the processes of a data-parallel run: the
  // outputs' count, zeros, sum and sum of squares, the squared gradient norm, the batches, then
  // 1 for every unit seen alive. set_epoch_sums() takes the totals (a unit is alive when any
  // process saw it alive: dead only if dead on every process's data).
  std::vector<double> epoch_sums() const;
  void set_epoch_sums(std::span<const double> sums);

  // Everything accumulated so far (this epoch's sums and live units, and the dead units of the
  // last epoch) as one line of text, so that a run resumed from a checkpoint reports what the
  // uninterrupted run reports. restore() takes what save() wrote; std::invalid_argument if the
  // text is malformed.
  std::string save() const;
  void restore(std::string_view text);

 private:
  template <class Flag>
  void mark_alive(std::size_t offset, std::size_t n, const Flag& flag);

  std::string layer_;
  bool flat_mask_;
  bool enabled_ = true;
  UnitLayout layout_;
  ValueStats values_;
  double grad_sq_ = 0;
  std::size_t batches_ = 0;
  std::vector<std::uint8_t> alive_, was_dead_;
  std::vector<std::uint32_t> pending_;  // units not yet seen alive this epoch
  bool first_epoch_ = true;
};

}  // namespace rectify::diag
