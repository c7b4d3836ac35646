#include "rectify/act/prelu.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <vector>

#include "rectify/act/checks.hpp"
#include "rectify/act/parallel.hpp"
#include "rectify/act/simd/kernel_call.hpp"
#include "rectify/act/threads.hpp"

namespace rectify {
namespace {

using detail::KernelCall;
using detail::Pass;

// Work is cut into pieces of fixed size (never depending on the thread count), so the slope
// gradient is summed in the same order whatever the threads.
constexpr std::size_t kPiece = 16384;      // elements of one channel block per task
constexpr std::size_t kRowsPerTask = 256;  // NHWC rows per task

void check_layout(const detail::Call& call, std::span<const float> x, std::span<const float> slopes,
                  const ChannelLayout& layout) {
  detail::check_size(call, "x", x, layout.size(),
                     fmt::format("layout {}x{}x{}", layout.outer, layout.channels, layout.inner));
  detail::check_data(call, "slopes", slopes);
  if (slopes.size() != 1 && slopes.size() != layout.channels) {
    detail::fail(call, fmt::format("slopes has {} elements, expected 1 (shared) or {} (one per "
                                   "channel)",
                                   slopes.size(), layout.channels));
  }
}

// With a shared slope the channel axis does not matter: one block of every element.
ChannelLayout effective(const ChannelLayout& layout, std::span<const float> slopes) {
  return slopes.size() == 1 ? ChannelLayout{1, 1, layout.size()} : layout;
}

bool rows_path(const ChannelLayout& l) {
  return l.inner == 1 && l.channels > 1;
}

// Task t of the block path covers piece (t % pieces) of channel block (t / pieces).
struct BlockTasks {
  std::size_t pieces, count;
  explicit BlockTasks(const ChannelLayout& l)
      : pieces(std::max<std::size_t>(1, (l.inner + kPiece - 1) / kPiece)),
        count(l.outer * l.channels * pieces) {}
};

bool parallel(std::size_t n) {
  return n >= kParallelThreshold && num_threads() > 1;
}

}  // namespace

void prelu_forward(std::span<const float> x, std::span<const float> slopes, ChannelLayout layout,
                   std::span<float> y) {
  const detail::Call call{"prelu_forward"};
  check_layout(call, x, slopes, layout);
  detail::check_size(call, "y", y, x.size(), "the size of x");
  detail::check_no_partial_overlap(call, "x", x, "y", y);
  const ChannelLayout l = effective(layout, slopes);
  const std::size_t C = l.channels;
  if (rows_path(l)) {
    detail::for_each_task(l.outer,
                          (parallel(x.size())) ? static_cast<std::size_t>(num_threads()) : 1,
                          [&](std::size_t row, std::size_t) {
                            KernelCall k{.fn = Fn::prelu,
                                         .pass = Pass::prelu_rows_forward,
                                         .in0 = x.data() + row * C,
                                         .in1 = slopes.data(),
                                         .out = y.data() + row * C};
                            detail::run_kernel(k, 0, C);
                          });
    return;
  }
  const BlockTasks tasks(l);
  detail::for_each_task(
      tasks.count, (parallel(x.size())) ? static_cast<std::size_t>(num_threads()) : 1,
      [&](std::size_t t, std::size_t) {
        const std::size_t block = t / tasks.pieces, begin = (t % tasks.pieces) * kPiece;
        KernelCall k{.fn = Fn::prelu,
                     .pass = Pass::forward,
                     .k = {slopes[block % C], 0, 0},
                     .in0 = x.data() + block * l.inner,
                     .out = y.data() + block * l.inner};
        detail::run_kernel(k, begin, std::min(l.inner, begin + kPiece));
      });
}

void prelu_backward(std::span<const float> x, std::span<const float> slopes,
                    std::span<const float> dy, ChannelLayout layout, std::span<float> dx,
                    std::span<float> dslopes) {
  const detail::Call call{"prelu_backward"};
  check_layout(call, x, slopes, layout);
  detail::check_size(call, "dy", dy, x.size(), "the size of x");
  detail::check_size(call, "dx", dx, x.size(), "the size of x");
  detail::check_size(call, "dslopes", dslopes, slopes.size(), "the size of slopes");
  detail::check_no_partial_overlap(call, "x", x, "dx", dx);
  detail::check_no_partial_overlap(call, "dy", dy, "dx", dx);
  const ChannelLayout l = effective(layout, slopes);
  const std::size_t C = l.channels;
  std::vector<double> sums;        // sums[t * C + c] or sums[t]: per task, reduced in task order
  std::size_t channel_stride = 1;  // task t belongs to channel (t / channel_stride) % C

  if (rows_path(l)) {
    const std::size_t tasks = (l.outer + kRowsPerTask - 1) / kRowsPerTask;
    sums.assign(tasks * C, 0.0);
    detail::for_each_task(tasks, (parallel(x.size())) ? static_cast<std::size_t>(num_threads()) : 1,
                          [&](std::size_t t, std::size_t) {
                            std::vector<float> acc(C, 0.0f);
                            const std::size_t last = std::min(l.outer, (t + 1) * kRowsPerTask);
                            for (std::size_t row = t * kRowsPerTask; row < last; ++row) {
                              KernelCall k{.fn = Fn::prelu,
                                           .pass = Pass::prelu_rows_backward,
                                           .in0 = x.data() + row * C,
                                           .in1 = slopes.data(),
                                           .in2 = dy.data() + row * C,
                                           .out = dx.data() + row * C,
                                           .out2 = acc.data()};
                              detail::run_kernel(k, 0, C);
                            }
                            std::copy(acc.begin(), acc.end(),
                                      sums.begin() + static_cast<std::ptrdiff_t>(t * C));
                          });
  } else {
    const BlockTasks tasks(l);
    channel_stride = tasks.pieces;
    sums.assign(tasks.count, 0.0);
    detail::for_each_task(
        tasks.count, (parallel(x.size())) ? static_cast<std::size_t>(num_threads()) : 1,
        [&](std::size_t t, std::size_t) {
          const std::size_t block = t / tasks.pieces, begin = (t % tasks.pieces) * kPiece;
          const std::size_t offset = block * l.inner;
          KernelCall k{.fn = Fn::prelu,
                       .pass = Pass::prelu_sum,
                       .k = {slopes[block % C], 0, 0},
                       .in0 = x.data() + offset,
                       .in1 = dy.data() + offset,
                       .out = dx.data() + offset,
                       .sum = &sums[t]};
          detail::run_kernel(k, begin, std::min(l.inner, begin + kPiece));
        });
  }
  std::vector<double> total(C, 0.0);
  for (std::size_t i = 0; i < sums.size(); ++i) {
    total[rows_path(l) ? i % C : (i / channel_stride) % C] += sums[i];
  }
  for (std::size_t c = 0; c < C; ++c) dslopes[c] = static_cast<float>(total[c]);
}

}  // namespace rectify
