#include "rectify/nn/maxpool2d.hpp"

#include <fmt/format.h>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "rectify/act/parallel.hpp"
#include "rectify/nn/simd/pool.hpp"

namespace rectify::nn {
namespace {

// Input elements per task (and per thread at least): a few microseconds of work, enough that
// handing tasks to the pool costs little beside it.
constexpr std::size_t kElementsPerTask = 16384;

// body(first_plane, end_plane) over [0, planes) in tasks of whole planes on the pool.
template <class Body>
void for_each_plane_block(std::size_t planes, std::size_t plane_size, const Body& body) {
  const std::size_t per_task =
      std::max<std::size_t>(1, kElementsPerTask / std::max<std::size_t>(plane_size, 1));
  const std::size_t tasks = (planes + per_task - 1) / per_task;
  detail::for_each_task(tasks, detail::threads_for(planes * plane_size, kElementsPerTask),
                        [&](std::size_t task, std::size_t) {
                          const std::size_t first = task * per_task;
                          body(first, std::min(planes, first + per_task));
                        });
}

// PyTorch's test, NaN included: v replaces the running maximum m. (Both compares always run:
// a short-circuit would be a branch.)
inline bool replaces(float v, float m) {
  return (v > m) | std::isnan(v);
}

// Any window and stride, window position by window position across a row of outputs: the
// outputs are independent, so the compares pipeline instead of forming one chain per window.
void pool_plane(const float* in, std::size_t w, std::size_t oh, std::size_t ow, std::size_t kernel,
                std::size_t stride, float* out, std::uint32_t* arg) {
  for (std::size_t oy = 0; oy < oh; ++oy) {
    float* m = out + oy * ow;
    std::uint32_t* best = arg + oy * ow;
    std::fill(m, m + ow, -std::numeric_limits<float>::infinity());
    for (std::size_t ox = 0; ox < ow; ++ox) {
      best[ox] = static_cast<std::uint32_t>(oy * stride * w + ox * stride);
    }
    for (std::size_t ki = 0; ki < kernel; ++ki) {
      for (std::size_t kj = 0; kj < kernel; ++kj) {
        const std::size_t row = (oy * stride + ki) * w + kj;
        for (std::size_t ox = 0; ox < ow; ++ox) {
          const float v = in[row + ox * stride];
          const bool take = replaces(v, m[ox]);
          m[ox] = take ? v : m[ox];
          best[ox] = take ? static_cast<std::uint32_t>(row + ox * stride) : best[ox];
        }
      }
    }
  }
}

}  // namespace

MaxPool2d::MaxPool2d(std::string name, std::size_t kernel, std::size_t stride)
    : name_(std::move(name)), kernel_(kernel), stride_(stride) {
  if (kernel_ == 0 || stride_ == 0) {
    throw std::invalid_argument(
        fmt::format("{}: kernel and stride must be at least 1, got kernel {}, stride {}", name_,
                    kernel_, stride_));
  }
}

Shape MaxPool2d::output_shape(const Shape& s) const {
  if (s.rank != 4) {
    throw std::invalid_argument(
        fmt::format("{}: expected an input of shape (batch, channels, height, width), got {}",
                    name_, s.to_string()));
  }
  if (s[2] < kernel_ || s[3] < kernel_) {
    throw std::invalid_argument(
        fmt::format("{}: input {} is smaller than the {}x{} window: the output would be empty",
                    name_, s.to_string(), kernel_, kernel_));
  }
  if (s[2] * s[3] > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument(fmt::format(
        "{}: input {} has planes too large for 32-bit argmax indices", name_, s.to_string()));
  }
  return Shape{s[0], s[1], (s[2] - kernel_) / stride_ + 1, (s[3] - kernel_) / stride_ + 1};
}

const Tensor& MaxPool2d::forward(const Tensor& x, bool /*training*/) {
  const Shape ys = output_shape(x.shape());
  x_shape_ = x.shape();
  y_.resize(ys);
  argmax_.resize(y_.size());
  const std::size_t w = x_shape_[3], plane = x_shape_[2] * w, oh = ys[2], ow = ys[3];
  const bool two_by_two = kernel_ == 2 && stride_ == 2;
  for_each_plane_block(ys[0] * ys[1], plane, [&](std::size_t first, std::size_t end) {
    if (two_by_two) {  // the common case, on the SIMD target
      max_pool_2x2(x.data() + first * plane, end - first, x_shape_[2], w,
                   y_.data() + first * oh * ow, argmax_.data() + first * oh * ow);
      return;
    }
    for (std::size_t pl = first; pl < end; ++pl) {
      pool_plane(x.data() + pl * plane, w, oh, ow, kernel_, stride_, y_.data() + pl * oh * ow,
                 argmax_.data() + pl * oh * ow);
    }
  });
  return y_;
}

const Tensor& MaxPool2d::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  dx_.resize(x_shape_);
  const std::size_t plane = x_shape_[2] * x_shape_[3], per = y_.shape()[2] * y_.shape()[3];
  for_each_plane_block(y_.shape()[0] * y_.shape()[1], plane,
                       [&](std::size_t first, std::size_t end) {
                         for (std::size_t pl = first; pl < end; ++pl) {
                           float* dx = dx_.data() + pl * plane;
                           std::fill_n(dx, plane, 0.0f);
                           // Overlapping windows (stride < kernel) can pick the same input: the
                           // gradients add.
                           for (std::size_t i = pl * per; i < (pl + 1) * per; ++i)
                             dx[argmax_[i]] += dy[i];
                         }
                       });
  return dx_;
}

}  // namespace rectify::nn
