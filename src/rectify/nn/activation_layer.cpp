#include "rectify/nn/activation_layer.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "rectify/act/crelu.hpp"
#include "rectify/act/prelu.hpp"
#include "rectify/act/registry.hpp"

namespace rectify::nn {

ActivationLayer::ActivationLayer(std::string name, const Activation& a, std::size_t channels)
    : name_(std::move(name)),
      act_(a),
      // prelu and crelu have kernels of their own that keep no mask: dead units come from dx.
      probe_(std::make_unique<diag::ActivationProbe>(name_, a, fusable(a))) {
  act_.set_probe(probe_.get());
  if (layer_kind(a) == LayerKind::learned_slope) {
    slopes_ = Tensor(Shape{channels == 0 ? 1 : channels});
    slopes_.fill(static_cast<float>(a.param(0)));
    dslopes_ = Tensor(slopes_.shape());
  }
}

ChannelLayout ActivationLayer::layout(const Shape& s) const {
  if (s.rank < 2) {
    throw std::invalid_argument(fmt::format(
        "{}: expected an input of shape (batch, channels, ...), got {}", name_, s.to_string()));
  }
  const std::size_t inner = s.size() / (s[0] * s[1]);
  return {s[0], s[1], inner};
}

const Tensor& ActivationLayer::forward(const Tensor& x, bool training) {
  x_ = &x;
  const LayerKind kind = layer_kind(act_.activation());
  const Shape& s = x.shape();
  if (s.rank >= 2 && s.size() > 0) probe_->set_layout({s[1], s.size() / (s[0] * s[1])});
  const bool observe = training && probe_->enabled();
  if (kind == LayerKind::learned_slope) {
    const auto l = layout(x.shape());
    if (slopes_.size() != 1 && slopes_.size() != l.channels) {
      throw std::invalid_argument(fmt::format("{}: {} slopes for an input with {} channels", name_,
                                              slopes_.size(), l.channels));
    }
    y_.resize(x.shape());
    prelu_forward(x.span(), slopes_.span(), l, y_.span());
    if (observe) probe_->forward(y_.span(), 0, {});
    return y_;
  }
  if (kind == LayerKind::channel_pair) {
    const auto l = layout(x.shape());
    Shape doubled = x.shape();
    doubled.dims[1] *= 2;
    y_.resize(doubled);
    crelu_forward(x.span(), l, y_.span());
    if (observe) probe_->forward_values(y_.span());
    return y_;
  }
  y_.resize(x.shape());
  act_.reserve(x.size());
  act_.forward(x.span(), y_.span(), 0, training);
  return y_;
}

const Tensor& ActivationLayer::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  dx_.resize(x_->shape());
  const LayerKind kind = layer_kind(act_.activation());
  if (kind != LayerKind::elementwise) {
    const bool observe = probe_->enabled();
    if (observe) probe_->gradient_at_output(dy.span());
    if (kind == LayerKind::learned_slope) {
      prelu_backward(x_->span(), slopes_.span(), dy.span(), layout(x_->shape()), dx_.span(),
                     dslopes_.span());
    } else {
      crelu_backward(x_->span(), dy.span(), layout(x_->shape()), dx_.span());
    }
    if (observe) probe_->gradient_at_input(dx_.span());
  } else {
    act_.backward(y_.span(), dy.span(), dx_.span());
  }
  return dx_;
}

std::vector<Param> ActivationLayer::params() {
  if (layer_kind(act_.activation()) != LayerKind::learned_slope) return {};
  return {{name_ + ".weight", &slopes_, &dslopes_}};
}

}  // namespace rectify::nn
