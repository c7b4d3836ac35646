#include "rectify/diag/probe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "rectify/act/reference.hpp"

namespace rectify::diag {
namespace {

// Whether any bit of [lo, hi) is set; whole bytes at a time where the range covers them.
bool any_bit(std::span<const std::uint8_t> mask, std::size_t lo, std::size_t hi) {
  while (lo < hi && lo % 8 != 0) {
    if (mask[lo / 8] >> (lo % 8) & 1u) return true;
    ++lo;
  }
  for (; lo + 8 <= hi; lo += 8) {
    if (mask[lo / 8] != 0) return true;
  }
  for (; lo < hi; ++lo) {
    if (mask[lo / 8] >> (lo % 8) & 1u) return true;
  }
  return false;
}

bool any_nonzero(std::span<const float> x, std::size_t lo, std::size_t hi) {
  for (std::size_t e = lo; e < hi; ++e) {
    if (x[e] != 0.0f) return true;  // NaN counts: a NaN gradient is not a dead unit
  }
  return false;
}

}  // namespace

ActivationProbe::ActivationProbe(std::string layer, const Activation& a, bool from_mask)
    : layer_(std::move(layer)),
      flat_mask_(from_mask && a.has_mask() && ref::mask_slope(a) == 0.0) {}

void ActivationProbe::set_layout(UnitLayout layout) {
  if (layout == layout_ && !alive_.empty()) return;
  layout_ = layout;
  alive_.assign(layout.units, 0);
  was_dead_.assign(layout.units, 0);
  pending_.resize(layout.units);
  std::iota(pending_.begin(), pending_.end(), 0u);
  first_epoch_ = true;
}

// Marks alive every pending unit with an element e in [offset, offset + n) where flag(e - offset).
template <class Flag>
void ActivationProbe::mark_alive(std::size_t offset, std::size_t n, const Flag& flag) {
  if (n == 0) return;
  const std::size_t units = layout_.units, inner = layout_.inner;
  const std::size_t first = offset / inner, last = (offset + n - 1) / inner;  // element groups
  for (std::size_t p = 0; p < pending_.size();) {
    const std::size_t u = pending_[p];
    bool found = false;
    for (std::size_t k = first + (u + units - first % units) % units; k <= last && !found;
         k += units) {
      const std::size_t lo = std::max(k * inner, offset),
                        hi = std::min((k + 1) * inner, offset + n);
      found = flag(lo - offset, hi - offset);
    }
    if (found) {
      alive_[u] = 1;
      pending_[p] = pending_.back();
      pending_.pop_back();
    } else {
      ++p;
    }
  }
}

void ActivationProbe::forward(std::span<const float> y, std::size_t offset,
                              std::span<const std::uint8_t> mask) {
  values_ += value_stats(y);
  if (flat_mask_ && !mask.empty() && !pending_.empty()) {
    mark_alive(offset, y.size(),
               [&](std::size_t lo, std::size_t hi) { return any_bit(mask, lo, hi); });
  }
}

void ActivationProbe::gradient_at_output(std::span<const float> dy) {
  grad_sq_ += value_stats(dy).sum_sq;
}

void ActivationProbe::gradient_at_input(std::span<const float> dz, std::size_t offset) {
  if (flat_mask_ || pending_.empty()) return;
  mark_alive(offset, dz.size(),
             [&](std::size_t lo, std::size_t hi) { return any_nonzero(dz, lo, hi); });
}

LayerStats ActivationProbe::end_epoch() {
  LayerStats s{.layer = layer_, .units = layout_.units};
  const bool observed = values_.count > 0;
  for (std::size_t u = 0; u < alive_.size() && observed; ++u) {
    const bool dead = !alive_[u];
    s.dead += dead;
    if (!first_epoch_) {
      s.died += dead && !was_dead_[u];
      s.revived += !dead && was_dead_[u];
    }
    was_dead_[u] = dead;
  }
  s.sparsity = values_.zero_fraction();
  s.mean = values_.mean();
  s.stddev = values_.stddev();
  s.grad_norm = batches_ ? std::sqrt(grad_sq_ / static_cast<double>(batches_)) : 0.0;
  // Start the next epoch.
  if (observed) first_epoch_ = false;
  values_ = {};
  grad_sq_ = 0;
  batches_ = 0;
  std::fill(alive_.begin(), alive_.end(), 0);
  pending_.resize(layout_.units);
  std::iota(pending_.begin(), pending_.end(), 0u);
  return s;
}

}  // namespace rectify::diag
