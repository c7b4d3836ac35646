#include "rectify/nn/rnn.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "rectify/act/registry.hpp"
#include "rectify/nn/gemm.hpp"
#include "rectify/nn/init.hpp"

namespace rectify::nn {
namespace {

constexpr float kIrnnInputStddev = 0.001f;  // Le, Jaitly & Hinton (2015); see rnn.hpp

// dst (T, B, H) time-major from src (B, T, H) batch-first, adding bias (H) when given.
void to_time_major(const float* src, float* dst, std::size_t batch, std::size_t steps,
                   std::size_t hidden, const float* bias) {
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t t = 0; t < steps; ++t) {
      const float* in = src + (b * steps + t) * hidden;
      float* out = dst + (t * batch + b) * hidden;
      if (bias != nullptr) {
        for (std::size_t j = 0; j < hidden; ++j) out[j] = in[j] + bias[j];
      } else {
        std::copy_n(in, hidden, out);
      }
    }
  }
}

// dst (B, T, H) batch-first from src (T, B, H) time-major.
void to_batch_first(const float* src, float* dst, std::size_t batch, std::size_t steps,
                    std::size_t hidden) {
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t t = 0; t < steps; ++t) {
      std::copy_n(src + (t * batch + b) * hidden, hidden, dst + (b * steps + t) * hidden);
    }
  }
}

}  // namespace

RNN::RNN(std::string name, std::size_t input, std::size_t hidden, std::size_t layers,
         const Activation& nonlinearity, bool identity_init, std::mt19937_64& rng)
    : name_(std::move(name)), input_(input), hidden_(hidden), act_(nonlinearity) {
  if (input_ == 0 || hidden_ == 0 || layers == 0) {
    throw std::invalid_argument(
        fmt::format("{}: input size, hidden size and layer count must be at least 1, got input {}, "
                    "hidden {}, layers {}",
                    name_, input_, hidden_, layers));
  }
  require_fusable(name_, act_);
  const float limit = 1.0f / std::sqrt(static_cast<float>(hidden_));
  cells_.resize(layers);
  for (std::size_t l = 0; l < layers; ++l) {
    Cell& c = cells_[l];
    c.probe = std::make_unique<diag::ActivationProbe>(
        layers == 1 ? name_ : fmt::format("{}.{}", name_, l), act_);
    c.probe->set_layout({hidden_, 1});
    const std::size_t in = l == 0 ? input_ : hidden_;
    c.w_ih = Tensor(Shape{hidden_, in});
    c.w_hh = Tensor(Shape{hidden_, hidden_});
    c.b_ih = Tensor(Shape{hidden_});
    c.b_hh = Tensor(Shape{hidden_});
    c.dw_ih = Tensor(c.w_ih.shape());
    c.dw_hh = Tensor(c.w_hh.shape());
    c.db_ih = Tensor(c.b_ih.shape());
    c.db_hh = Tensor(c.b_hh.shape());
    if (identity_init) {
      for (auto& v : c.w_ih.span()) v = kIrnnInputStddev * standard_normal(rng);
      for (std::size_t j = 0; j < hidden_; ++j) c.w_hh[j * hidden_ + j] = 1.0f;  // zero elsewhere
    } else {  // PyTorch's order: weight_ih, weight_hh, bias_ih, bias_hh
      for (Tensor* t : {&c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh}) {
        for (auto& v : t->span()) v = uniform_symmetric(rng, limit);
      }
    }
  }
}

void RNN::resize_for(std::size_t batch, std::size_t steps) {
  y_.resize(Shape{batch, steps, hidden_});
  scratch_.resize(Shape{batch, steps, hidden_});
  bias_.resize(Shape{hidden_});
  for (Cell& c : cells_) {
    c.h.resize(Shape{steps, batch, hidden_});
    c.g.resize(Shape{steps, batch, hidden_});
    c.saved.resize(steps, SavedActivation(act_));
    for (auto& s : c.saved) {
      s.reserve(batch * hidden_);  // no allocation when it already fits
      s.set_probe(c.probe.get());
    }
  }
  if (ones_.size() != batch * steps) {
    ones_.resize(Shape{batch * steps});
    ones_.fill(1.0f);
  }
}

const Tensor& RNN::forward(const Tensor& x, bool training) {
  const Shape& s = x.shape();
  if (s.rank != 3) {
    throw std::invalid_argument(fmt::format(
        "{}: expected an input of shape (batch, steps, {}), got {}", name_, input_, s.to_string()));
  }
  const std::size_t batch = s[0], steps = s[1];
  check_shape(name_, "input", s, Shape{batch, steps, input_});
  resize_for(batch, steps);
  x_ = &x;
  batch_ = batch;
  steps_ = steps;
  trained_ = training;
  const std::size_t rows = batch * steps, step_size = batch * hidden_;
  if (rows == 0) return y_;

  for (std::size_t l = 0; l < cells_.size(); ++l) {
    Cell& c = cells_[l];
    for (std::size_t j = 0; j < hidden_; ++j) bias_[j] = c.b_ih[j] + c.b_hh[j];
    // z = x W_ih^T + b_ih + b_hh for all steps at once. Layer 0's input is batch first, so its
    // rows are (b, t) pairs: project into scratch, then reorder into time-major steps.
    if (l == 0) {
      gemm(Trans::no, Trans::yes, rows, hidden_, input_, 1.0f, x.data(), input_, c.w_ih.data(),
           input_, 0.0f, scratch_.data(), hidden_);
      to_time_major(scratch_.data(), c.h.data(), batch, steps, hidden_, bias_.data());
    } else {  // (T B, H) x (H, H): the layer below is already time-major
      gemm(Trans::no, Trans::yes, rows, hidden_, hidden_, 1.0f, cells_[l - 1].h.data(), hidden_,
           c.w_ih.data(), hidden_, 0.0f, c.h.data(), hidden_);
      for (std::size_t r = 0; r < rows; ++r) {
        float* row = c.h.data() + r * hidden_;
        for (std::size_t j = 0; j < hidden_; ++j) row[j] += bias_[j];
      }
    }
    // Step through time: z_t += h_{t-1} W_hh^T (h_0 = 0), then h_t = f(z_t) in place.
    for (std::size_t t = 0; t < steps; ++t) {
      float* z = c.h.data() + t * step_size;  // (B, H)
      if (t > 0) {
        gemm(Trans::no, Trans::yes, batch, hidden_, hidden_, 1.0f, z - step_size, hidden_,
             c.w_hh.data(), hidden_, 1.0f, z, hidden_);
      }
      const std::span<float> zt(z, step_size);
      c.saved[t].forward(zt, zt, 0, training);
    }
  }
  to_batch_first(cells_.back().h.data(), y_.data(), batch, steps, hidden_);
  return y_;
}

const Tensor& RNN::backward(const Tensor& dy) {
  if (!trained_) {
    throw std::logic_error(
        fmt::format("{}: backward needs a forward with training = true just before it", name_));
  }
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  const std::size_t batch = batch_, steps = steps_, rows = batch * steps;
  const std::size_t step_size = batch * hidden_;
  dx_.resize(Shape{batch, steps, input_});
  if (rows == 0) {  // no data: every gradient is zero
    for (Cell& c : cells_) {
      for (Tensor* t : {&c.dw_ih, &c.dw_hh, &c.db_ih, &c.db_hh}) t->fill(0.0f);
    }
    return dx_;
  }

  to_time_major(dy.data(), cells_.back().g.data(), batch, steps, hidden_, nullptr);
  for (std::size_t l = cells_.size(); l-- > 0;) {
    Cell& c = cells_[l];
    // Through time, last step first: dh_t = dy_t + dz_{t+1} W_hh, then dz_t = f'(z_t) dh_t in
    // place, so that g holds dz for every step when the loop ends.
    for (std::size_t t = steps; t-- > 0;) {
      float* g = c.g.data() + t * step_size;  // (B, H)
      if (t + 1 < steps) {
        gemm(Trans::no, Trans::no, batch, hidden_, hidden_, 1.0f, g + step_size, hidden_,
             c.w_hh.data(), hidden_, 1.0f, g, hidden_);
      }
      const std::span<float> gt(g, step_size);
      c.saved[t].backward(std::span<const float>(c.h.data() + t * step_size, step_size), gt, gt);
    }
    // dW_hh = sum over t >= 1 of dz_t^T h_{t-1}: one GEMM over the (T - 1) B rows.
    if (steps > 1) {
      gemm(Trans::yes, Trans::no, hidden_, hidden_, rows - batch, 1.0f, c.g.data() + step_size,
           hidden_, c.h.data(), hidden_, 0.0f, c.dw_hh.data(), hidden_);
    } else {
      c.dw_hh.fill(0.0f);
    }
    // db_ih = db_hh = column sums of dz over all T B rows.
    gemv_on_this_thread(Trans::yes, rows, hidden_, 1.0f, c.g.data(), hidden_, ones_.data(), 0.0f,
                        c.db_ih.data());
    c.db_hh = c.db_ih;
    if (l > 0) {
      // dW_ih = dz^T h_below; the gradient at the layer below's states = dz W_ih.
      Tensor& below = cells_[l - 1].h;
      gemm(Trans::yes, Trans::no, hidden_, hidden_, rows, 1.0f, c.g.data(), hidden_, below.data(),
           hidden_, 0.0f, c.dw_ih.data(), hidden_);
      gemm(Trans::no, Trans::no, rows, hidden_, hidden_, 1.0f, c.g.data(), hidden_, c.w_ih.data(),
           hidden_, 0.0f, cells_[l - 1].g.data(), hidden_);
    } else {
      // x is batch first: reorder dz to (b, t) rows, then dW_ih = dz^T x and dx = dz W_ih.
      to_batch_first(c.g.data(), scratch_.data(), batch, steps, hidden_);
      gemm(Trans::yes, Trans::no, hidden_, input_, rows, 1.0f, scratch_.data(), hidden_, x_->data(),
           input_, 0.0f, c.dw_ih.data(), input_);
      if (input_grad_) {
        gemm(Trans::no, Trans::no, rows, input_, hidden_, 1.0f, scratch_.data(), hidden_,
             c.w_ih.data(), input_, 0.0f, dx_.data(), input_);
      }
    }
  }
  return dx_;
}

std::vector<diag::ActivationProbe*> RNN::probes() {
  std::vector<diag::ActivationProbe*> all;
  for (Cell& c : cells_) all.push_back(c.probe.get());
  return all;
}

std::vector<Param> RNN::params() {
  std::vector<Param> p;
  for (std::size_t l = 0; l < cells_.size(); ++l) {
    Cell& c = cells_[l];
    const std::string base = fmt::format("{}.", name_), suffix = fmt::format("_l{}", l);
    p.push_back({base + "weight_ih" + suffix, &c.w_ih, &c.dw_ih});
    p.push_back({base + "weight_hh" + suffix, &c.w_hh, &c.dw_hh});
    p.push_back({base + "bias_ih" + suffix, &c.b_ih, &c.db_ih});
    p.push_back({base + "bias_hh" + suffix, &c.b_hh, &c.db_hh});
  }
  return p;
}

}  // namespace rectify::nn
