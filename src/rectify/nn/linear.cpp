#include "rectify/nn/linear.hpp"

#include <algorithm>

#include "rectify/act/registry.hpp"
#include "rectify/nn/gemm.hpp"
#include "rectify/nn/init.hpp"

namespace rectify::nn {
namespace {
// Rows per epilogue block: small enough that the block of y is still in L1/L2 when the bias
// and activation run over it, a multiple of 64 elements for the mask words whatever `out` is.
constexpr std::size_t kRowsPerBlock = 64;
}  // namespace

Linear::Linear(std::string name, std::size_t in, std::size_t out,
               std::optional<Activation> activation, std::mt19937_64& rng, std::optional<Init> init)
    : name_(std::move(name)),
      in_(in),
      out_(out),
      weight_(Shape{out, in}),
      bias_(Shape{out}),
      dweight_(Shape{out, in}),
      dbias_(Shape{out}) {
  if (activation) {
    require_fusable(name_, *activation);
    act_.emplace(*activation);
    probe_ = std::make_unique<diag::ActivationProbe>(name_, *activation);
    act_->set_probe(probe_.get());
  }
  init_weights(weight_.span(), in, out, activation ? &*activation : nullptr, rng, init);
}

const Tensor& Linear::forward(const Tensor& x, bool training) {
  const std::size_t batch = x.shape().rank == 2 ? x.shape()[0] : 0;
  check_shape(name_, "input", x.shape(), Shape{batch, in_});
  x_ = &x;
  y_.resize(Shape{batch, out_});
  if (act_) act_->reserve(batch * out_);
  if (probe_) probe_->set_layout({out_, 1});
  for (std::size_t r0 = 0; r0 < batch; r0 += kRowsPerBlock) {
    const std::size_t rows = std::min(kRowsPerBlock, batch - r0);
    float* y = y_.data() + r0 * out_;
    gemm(Trans::no, Trans::yes, rows, out_, in_, 1.0f, x.data() + r0 * in_, in_, weight_.data(),
         in_, 0.0f, y, out_);
    for (std::size_t r = 0; r < rows; ++r) {
      float* row = y + r * out_;
      for (std::size_t j = 0; j < out_; ++j) row[j] += bias_[j];
    }
    if (act_) {
      const std::span<float> block(y, rows * out_);
      act_->forward(block, block, r0 * out_, training);
    }
  }
  return y_;
}

const Tensor& Linear::backward(const Tensor& dy) {
  const std::size_t batch = y_.shape()[0];
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  const Tensor* dz = &gradient_before(act_, y_, dy, dz_);
  // db = column sums of dz; dW = dz^T x; dx = dz W.
  dbias_.fill(0.0f);
  for (std::size_t r = 0; r < batch; ++r) {
    const float* row = dz->data() + r * out_;
    for (std::size_t j = 0; j < out_; ++j) dbias_[j] += row[j];
  }
  gemm(Trans::yes, Trans::no, out_, in_, batch, 1.0f, dz->data(), out_, x_->data(), in_, 0.0f,
       dweight_.data(), in_);
  dx_.resize(Shape{batch, in_});
  if (input_grad_) {
    gemm(Trans::no, Trans::no, batch, in_, out_, 1.0f, dz->data(), out_, weight_.data(), in_, 0.0f,
         dx_.data(), in_);
  }
  return dx_;
}

std::vector<Param> Linear::params() {
  return {{name_ + ".weight", &weight_, &dweight_}, {name_ + ".bias", &bias_, &dbias_}};
}

}  // namespace rectify::nn
