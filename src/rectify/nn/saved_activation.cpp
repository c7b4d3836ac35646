#include "rectify/nn/saved_activation.hpp"

#include <algorithm>

#include "rectify/act/kernels.hpp"

namespace rectify::nn {

SavedActivation::SavedActivation(const Activation& a)
    : act_(a),
      keep_(a.has_mask()                   ? Keep::mask
            : a.has_backward_from_output() ? Keep::output
                                           : Keep::input) {}

void SavedActivation::reserve(std::size_t n) {
  if (keep_ == Keep::mask) mask_.resize(mask_bytes(n));
  if (keep_ == Keep::input) input_.resize(n);
}

void SavedActivation::compute(std::span<const float> z, std::span<float> y, std::size_t offset,
                              bool training) {
  if (training && keep_ == Keep::mask) {
    forward_with_mask(act_, z, y, std::span(mask_).subspan(offset / 8, mask_bytes(z.size())));
    return;
  }
  if (training && keep_ == Keep::input) {
    std::copy(z.begin(), z.end(), input_.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  rectify::forward(act_, z, y);
}

std::span<const std::uint8_t> SavedActivation::mask_bits(std::size_t offset, std::size_t n) const {
  if (keep_ != Keep::mask) return {};
  return std::span<const std::uint8_t>(mask_).subspan(offset / 8, mask_bytes(n));
}

void SavedActivation::observe(std::span<const float> y, bool training) {
  if (observing(training)) probe_->forward(y, 0, mask_bits(0, y.size()));
}

void SavedActivation::forward(std::span<const float> z, std::span<float> y, std::size_t offset,
                              bool training) {
  compute(z, y, offset, training);
  if (observing(training)) probe_->forward(y, offset, mask_bits(offset, z.size()));
}

void SavedActivation::observe_gradient_at_output(std::span<const float> dy) const {
  if (observing(true)) probe_->gradient_at_output(dy);
}

void SavedActivation::compute_gradient(std::span<const float> y, std::span<const float> dy,
                                       std::span<float> dz, std::size_t offset) const {
  switch (keep_) {
    case Keep::mask:
      backward_from_mask(act_, mask_bits(offset, dy.size()), dy, dz);
      break;
    case Keep::output:
      backward_from_output(act_, y, dy, dz);
      break;
    case Keep::input:
      rectify::backward(act_, std::span(input_).subspan(offset, dy.size()), dy, dz);
      break;
  }
}

void SavedActivation::observe_gradient_at_input(std::span<const float> dz) const {
  if (observing(true)) probe_->gradient_at_input(dz);
}

void SavedActivation::backward(std::span<const float> y, std::span<const float> dy,
                               std::span<float> dz) const {
  observe_gradient_at_output(dy);  // dz may overwrite dy
  compute_gradient(y, dy, dz, 0);
  observe_gradient_at_input(dz);
}

const Tensor& gradient_before(const std::optional<SavedActivation>& act, const Tensor& y,
                              const Tensor& dy, Tensor& dz) {
  if (!act) return dy;
  dz.resize(dy.shape());
  act->backward(y.span(), dy.span(), dz.span());
  return dz;
}

}  // namespace rectify::nn
