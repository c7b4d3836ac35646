#include "rectify/train/finite_check.hpp"

#include <fmt/format.h>
#include <cmath>
#include <optional>
#include <span>

namespace rectify::train {
namespace {

struct Bad {
  std::size_t index;
  float value;
};

std::optional<Bad> first_non_finite(std::span<const float> x) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) return Bad{i, x[i]};
  }
  return std::nullopt;
}

std::string what(const Bad& b) {
  return fmt::format("{} at element {}",
                     std::isnan(b.value) ? "NaN"
                     : b.value > 0       ? "inf"
                                         : "-inf",
                     b.index);
}

}  // namespace

std::string describe_non_finite(const std::vector<nn::Param>& params) {
  std::vector<std::string> parts;
  for (const auto& p : params) {
    if (const auto bad = first_non_finite(p.grad->span())) {
      parts.push_back(fmt::format("the gradient of {} ({})", p.name, what(*bad)));
    } else if (const auto bad_value = first_non_finite(p.value->span())) {
      // A finite gradient and a non-finite value: the update itself overflowed.
      parts.push_back(
          fmt::format("the parameter {} ({}, its gradient finite)", p.name, what(*bad_value)));
    }
  }
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : "") + parts[i];
  return text;
}

std::string first_non_finite_layer(nn::Sequential& model, const nn::Tensor& x) {
  const nn::Tensor* h = &x;
  for (const auto& layer : model.layers()) {
    h = &layer->forward(*h, false);
    if (const auto bad = first_non_finite(h->span())) {
      return fmt::format("{} (output {}: {})", layer->name(), h->shape().to_string(), what(*bad));
    }
  }
  return {};
}

}  // namespace rectify::train
