#include "rectify/nn/conv2d.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "rectify/act/parallel.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/nn/gemm.hpp"
#include "rectify/nn/init.hpp"
#include "rectify/nn/simd/segments.hpp"

namespace rectify::nn {
namespace {

// Below this many FLOPs per thread a layer's images stay on one thread: a GEMM of 2 MFLOP takes
// about 40 us here, ten times what handing work to a waiting thread costs.
constexpr std::size_t kGrainFlops = std::size_t{2} << 20;
// Backward sums dW and db over images in chunks of this many, each into its own partial: fixed,
// so the order of the additions (and the bits of the gradient) does not depend on the threads.
constexpr std::size_t kImagesPerChunk = 4;
// Floats of the widest SIMD vector (AVX-512).
constexpr std::size_t kVectorSlack = 16;
// Additions per thread below which the partials are summed on one thread.
constexpr std::size_t kSumGrain = 32768;

// One image: C planes of h x w in, planes of oh x ow out.
struct Geometry {
  std::size_t channels, h, w, kernel, stride, padding, oh, ow;
  std::size_t rows() const { return channels * kernel * kernel; }  // of the unfolded image
  std::size_t positions() const { return oh * ow; }
  // A 1x1 kernel with stride 1 and no padding unfolds an image into itself: no im2col.
  bool unfolds_to_itself() const { return kernel == 1 && stride == 1 && padding == 0; }
};

// The output positions [lo, hi) along one axis whose input index o * stride + offset - padding
// falls inside [0, in); the others read the zero padding.
std::pair<std::size_t, std::size_t> inside(const Geometry& g, std::size_t in, std::size_t out,
                                           std::size_t offset) {
  const std::size_t lo = offset >= g.padding ? 0 : (g.padding - offset + g.stride - 1) / g.stride;
  const std::size_t end = in + g.padding;  // o * stride < end - offset
  const std::size_t hi = end > offset ? std::min(out, (end - offset + g.stride - 1) / g.stride) : 0;
  return {std::min(lo, hi), hi};
}

// inside() for every kernel row ki (along y) and column kj (along x): found once per batch, not
// once per unfolded row (divisions).
struct Inside {
  std::vector<std::pair<std::size_t, std::size_t>> y, x;
  explicit Inside(const Geometry& g) {
    for (std::size_t k = 0; k < g.kernel; ++k) {
      y.push_back(inside(g, g.h, g.oh, k));
      x.push_back(inside(g, g.w, g.ow, k));
    }
  }
};

// cols (C k k, oh ow): row (c, ki, kj), column (oy, ox) holds
// x[c][oy stride + ki - padding][ox stride + kj - padding], 0 in the padding. With add, the
// reverse (col2im): x += each column's value at the position it was read from, each element's
// terms added in (ki, kj) order. The rows go in order, so that cols streams through the cache.
template <bool add>
void unfold(const Geometry& g, const Inside& in, std::conditional_t<add, float*, const float*> x,
            std::conditional_t<add, const float*, float*> cols) {
  const std::size_t k = g.kernel, s = g.stride, ow = g.ow, plane = g.h * g.w;
  for (std::size_t c = 0; c < g.channels; ++c) {
    for (std::size_t ki = 0; ki < k; ++ki) {
      const auto [ylo, yhi] = in.y[ki];
      for (std::size_t kj = 0; kj < k; ++kj) {
        const auto [xlo, xhi] = in.x[kj];
        const std::size_t n = xhi - xlo;
        auto* row = cols + ((c * k + ki) * k + kj) * g.positions();
        if constexpr (!add) {  // the rows above and below the image (guarded as below)
          if (ylo > 0) std::fill(row, row + ylo * ow, 0.0f);
          if (yhi < g.oh) std::fill(row + yhi * ow, row + g.oh * ow, 0.0f);
        }
        if (n == 0 || yhi == ylo) {  // every position reads padding
          if constexpr (!add) std::fill(row + ylo * ow, row + yhi * ow, 0.0f);
          continue;
        }
        auto* img = x + c * plane + (ylo * s + ki - g.padding) * g.w + xlo * s + kj - g.padding;
        auto* cols_at = row + ylo * ow + xlo;
        const std::size_t count = yhi - ylo;
        if (s == 1) {
          if constexpr (add) {
            add_segments(cols_at, ow, count, n, img, g.w);
          } else {
            copy_segments(img, g.w, count, n, cols_at, ow);
          }
        } else {
          for (std::size_t r = 0; r < count; ++r) {
            for (std::size_t i = 0; i < n; ++i) {
              if constexpr (add) {
                img[r * s * g.w + i * s] += cols_at[r * ow + i];
              } else {
                cols_at[r * ow + i] = img[r * s * g.w + i * s];
              }
            }
          }
        }
        // The padding's zeros after the copies, which may have written over them. Guarded:
        // without padding these are empty, and each would still be a call.
        if constexpr (!add) {
          if (xlo > 0 || xhi < ow) {
            for (std::size_t oy = ylo; oy < yhi; ++oy) {
              std::fill(row + oy * ow, row + oy * ow + xlo, 0.0f);
              std::fill(row + oy * ow + xhi, row + (oy + 1) * ow, 0.0f);
            }
          }
        }
      }
    }
  }
}

// Per-thread scratch: `threads` tensors of the given shape (kept between calls).
void size_scratch(std::vector<Tensor>& scratch, std::size_t threads, const Shape& shape) {
  if (scratch.size() < threads) scratch.resize(threads);
  for (std::size_t t = 0; t < threads; ++t) scratch[t].resize(shape);
}

// out = parts[0] + parts[1] + ... (parts: (chunks, out.size())), added in chunk order for every
// element, the elements split over the pool.
void sum_chunks(const Tensor& parts, Tensor& out) {
  const std::size_t chunks = parts.shape()[0], n = out.size();
  constexpr std::size_t kBlock = 4096;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  detail::for_each_task(blocks, detail::threads_for(n * chunks, kSumGrain),
                        [&](std::size_t block, std::size_t) {
                          const std::size_t begin = block * kBlock;
                          const std::size_t end = std::min(n, begin + kBlock);
                          std::copy(parts.data() + begin, parts.data() + end, out.data() + begin);
                          for (std::size_t c = 1; c < chunks; ++c) {
                            const float* part = parts.data() + c * n;
                            for (std::size_t i = begin; i < end; ++i) out[i] += part[i];
                          }
                        });
}

}  // namespace

Conv2d::Conv2d(std::string name, std::size_t in_channels, std::size_t out_channels,
               std::size_t kernel, std::size_t stride, std::size_t padding,
               std::optional<Activation> activation, std::mt19937_64& rng, std::optional<Init> init)
    : name_(std::move(name)),
      in_(in_channels),
      out_(out_channels),
      kernel_(kernel),
      stride_(stride),
      padding_(padding) {
  if (in_ == 0 || out_ == 0 || kernel_ == 0 || stride_ == 0) {
    throw std::invalid_argument(fmt::format(
        "{}: channels, kernel and stride must be at least 1, got in_channels {}, out_channels {}, "
        "kernel {}, stride {}",
        name_, in_, out_, kernel_, stride_));
  }
  if (activation) require_fusable(name_, *activation);
  weight_ = Tensor(Shape{out_, in_, kernel_, kernel_});
  dweight_ = Tensor(weight_.shape());
  bias_ = Tensor(Shape{out_});
  dbias_ = Tensor(Shape{out_});
  if (activation) {
    act_.emplace(*activation);
    probe_ = std::make_unique<diag::ActivationProbe>(name_, *activation);
    act_->set_probe(probe_.get());
  }
  init_weights(weight_.span(), in_ * kernel_ * kernel_, out_ * kernel_ * kernel_,
               activation ? &*activation : nullptr, rng, init);
}

Shape Conv2d::output_shape(const Shape& s) const {
  if (s.rank != 4) {
    throw std::invalid_argument(
        fmt::format("{}: expected an input of shape (batch, {}, height, width), got {}", name_, in_,
                    s.to_string()));
  }
  check_shape(name_, "input", s, Shape{s[0], in_, s[2], s[3]});
  const std::size_t least = kernel_ > 2 * padding_ ? kernel_ - 2 * padding_ : 0;
  if (s[2] < least || s[3] < least) {
    throw std::invalid_argument(fmt::format(
        "{}: input {} is smaller than the {}x{} kernel with padding {}: the output would be empty "
        "(height and width must be at least {})",
        name_, s.to_string(), kernel_, kernel_, padding_, least));
  }
  const auto out = [&](std::size_t n) { return (n + 2 * padding_ - kernel_) / stride_ + 1; };
  return Shape{s[0], out_, out(s[2]), out(s[3])};
}

const Tensor& Conv2d::forward(const Tensor& x, bool training) {
  const Shape ys = output_shape(x.shape());
  const Geometry g{in_, x.shape()[2], x.shape()[3], kernel_, stride_, padding_, ys[2], ys[3]};
  const Inside in(g);
  const std::size_t batch = ys[0], positions = g.positions(), per_image = out_ * positions;
  x_ = &x;
  y_.resize(ys);
  // The batch's images are split over the pool, each GEMM on the thread that unfolded the image
  // (OpenBLAS runs single-threaded inside a parallel region): the GEMMs of one image are too
  // small for OpenBLAS to gain much from splitting them.
  const std::size_t threads = detail::threads_for(batch * 2 * per_image * g.rows(), kGrainFlops);
  if (!g.unfolds_to_itself()) size_scratch(cols_, threads, Shape{g.rows(), positions});
  // The activation runs on each image's output right after its GEMM, while it is in cache (a
  // separate pass over the batch's output read and wrote it from memory: the cnn's first layer
  // writes 5.5 MB), when an image's mask bits fill whole 64-bit words, so that threads never
  // share one.
  const bool per_image_activation = act_ && per_image % 64 == 0;
  if (act_) act_->reserve(y_.size());
  detail::for_each_task(batch, threads, [&](std::size_t b, std::size_t thread) {
    const float* xb = x.data() + b * in_ * g.h * g.w;
    const float* cols = xb;
    if (!g.unfolds_to_itself()) {
      unfold<false>(g, in, xb, cols_[thread].data());
      cols = cols_[thread].data();
    }
    // y = b + W cols: the bias first, then the GEMM adds the product to it (beta 1), so
    // OpenBLAS skips the pass that zeroes C for beta 0, which on conv1's K = 9 took as long as
    // the product itself.
    float* yb = y_.data() + b * per_image;  // (O, H' W')
    for (std::size_t o = 0; o < out_; ++o) std::fill_n(yb + o * positions, positions, bias_[o]);
    gemm_on_this_thread(Trans::no, Trans::no, out_, positions, g.rows(), 1.0f, weight_.data(),
                        g.rows(), cols, positions, 1.0f, yb, positions);
    if (per_image_activation) {
      const std::span image(yb, per_image);
      act_->compute(image, image, b * per_image, training);
    }
  });
  if (act_) {
    // The probe sees the whole batch once, in order; without the per-image pass, one call
    // over the batch (the kernels split it over the pool themselves).
    if (probe_) probe_->set_layout({out_, positions});
    if (per_image_activation) {
      act_->observe(y_.span(), training);
    } else {
      act_->forward(y_.span(), y_.span(), 0, training);
    }
  }
  return y_;
}

const Tensor& Conv2d::backward(const Tensor& dy) {
  check_shape(name_, "output gradient", dy.shape(), y_.shape());
  const Shape& xs = x_->shape();
  const Geometry g{in_, xs[2], xs[3], kernel_, stride_, padding_, dy.shape()[2], dy.shape()[3]};
  const Inside in(g);
  const std::size_t batch = xs[0], positions = g.positions(), per_image = out_ * positions;
  // As in forward: the activation's gradient image by image, just before the GEMMs read it.
  const bool per_image_activation = act_ && per_image % 64 == 0;
  const Tensor* dz = &dz_;
  if (per_image_activation) {
    dz_.resize(dy.shape());
    act_->observe_gradient_at_output(dy.span());
  } else {
    dz = &gradient_before(act_, y_, dy, dz_);
  }
  const std::size_t flops = batch * 2 * per_image * g.rows() * (input_grad_ ? 2 : 1);
  const std::size_t threads = detail::threads_for(flops, kGrainFlops);
  if (!g.unfolds_to_itself()) {
    size_scratch(cols_, threads, Shape{g.rows(), positions});
    // A vector's slack past the end: fold_channel's loads may run that far past the last row.
    if (input_grad_) size_scratch(dcols_, threads, Shape{g.rows() * positions + kVectorSlack});
  }
  ones_.resize(Shape{positions});
  ones_.fill(1.0f);
  dx_.resize(xs);
  // Images go in fixed chunks, each summing its images' db and dW into a partial of its own;
  // the partials are then added in chunk order. The sums' order depends neither on the thread
  // count nor on which thread ran a chunk, so the gradients are the same bits on any pool.
  const std::size_t chunks = (batch + kImagesPerChunk - 1) / kImagesPerChunk;
  dweight_parts_.resize(Shape{chunks, dweight_.size()});
  dbias_parts_.resize(Shape{chunks, out_});
  detail::for_each_task(chunks, threads, [&](std::size_t chunk, std::size_t thread) {
    float* dw = dweight_parts_.data() + chunk * dweight_.size();
    float* db = dbias_parts_.data() + chunk * out_;
    const std::size_t first = chunk * kImagesPerChunk;
    for (std::size_t b = first; b < std::min(batch, first + kImagesPerChunk); ++b) {
      // Per image: db += dz 1; dW += dz cols^T; dx = col2im(W^T dz).
      const float beta = b == first ? 0.0f : 1.0f;
      if (per_image_activation) {
        const std::size_t at = b * per_image;
        act_->compute_gradient(y_.span().subspan(at, per_image), dy.span().subspan(at, per_image),
                               dz_.span().subspan(at, per_image), at);
      }
      const float* dzb = dz->data() + b * per_image;  // (O, H' W')
      const float* xb = x_->data() + b * in_ * g.h * g.w;
      float* dxb = dx_.data() + b * in_ * g.h * g.w;
      gemv_on_this_thread(Trans::no, out_, positions, 1.0f, dzb, positions, ones_.data(), beta, db);
      const float* cols = xb;
      if (!g.unfolds_to_itself()) {
        unfold<false>(g, in, xb, cols_[thread].data());
        cols = cols_[thread].data();
      }
      gemm_on_this_thread(Trans::no, Trans::yes, out_, g.rows(), positions, 1.0f, dzb, positions,
                          cols, positions, beta, dw, g.rows());
      if (!input_grad_) continue;
      float* dcols = g.unfolds_to_itself() ? dxb : dcols_[thread].data();
      gemm_on_this_thread(Trans::yes, Trans::no, g.rows(), positions, out_, 1.0f, weight_.data(),
                          g.rows(), dzb, positions, 0.0f, dcols, positions);
      if (g.unfolds_to_itself()) continue;
      if (g.stride == 1 && g.padding == 0) {
        // Each channel's plane written once, its terms summed in registers.
        const std::size_t per_channel = g.kernel * g.kernel * positions;
        const float* end = dcols_[thread].data() + dcols_[thread].size();
        for (std::size_t c = 0; c < in_; ++c) {
          fold_channel(dcols + c * per_channel, g.kernel, g.h, g.w, end, dxb + c * g.h * g.w);
        }
      } else {
        std::fill_n(dxb, in_ * g.h * g.w, 0.0f);
        unfold<true>(g, in, dxb, dcols);
      }
    }
  });
  if (per_image_activation) act_->observe_gradient_at_input(dz_.span());
  sum_chunks(dweight_parts_, dweight_);
  sum_chunks(dbias_parts_, dbias_);
  return dx_;
}

std::vector<Param> Conv2d::params() {
  return {{name_ + ".weight", &weight_, &dweight_}, {name_ + ".bias", &bias_, &dbias_}};
}

}  // namespace rectify::nn
