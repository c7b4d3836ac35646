#include "rectify/act/crelu.hpp"

#include <fmt/format.h>

#include "rectify/act/checks.hpp"
#include "rectify/act/parallel.hpp"
#include "rectify/act/simd/kernel_call.hpp"

namespace rectify {
namespace {

using detail::KernelCall;

// Runs `call` on each outer slice; slice o reads at o * block and writes at o * 2 * block
// (first half) and o * 2 * block + block (second half).
void run_slices(KernelCall call, const ChannelLayout& layout, std::size_t n_inputs) {
  const std::size_t block = layout.channels * layout.inner;
  if (layout.outer == 1) {
    detail::parallel_for(block, kParallelThreshold,
                         [&](std::size_t b, std::size_t e) { run_kernel(call, b, e); });
    return;
  }
  const bool parallel = layout.size() >= kParallelThreshold && num_threads() > 1;
  detail::for_each_task(layout.outer, (parallel) ? static_cast<std::size_t>(num_threads()) : 1,
                        [&](std::size_t o, std::size_t) {
                          KernelCall k = call;
                          k.in0 += o * block;
                          if (n_inputs == 1) {  // forward: x -> two halves of y
                            k.out += 2 * o * block;
                            k.out2 += 2 * o * block;
                          } else {  // backward: x, two halves of dy -> dx
                            k.in1 += 2 * o * block;
                            k.in2 += 2 * o * block;
                            k.out += o * block;
                          }
                          detail::run_kernel(k, 0, block);
                        });
}

std::string layout_text(const ChannelLayout& l) {
  return fmt::format("layout {}x{}x{}", l.outer, l.channels, l.inner);
}

}  // namespace

void crelu_forward(std::span<const float> x, ChannelLayout layout, std::span<float> y) {
  const detail::Call call{"crelu_forward"};
  detail::check_size(call, "x", x, layout.size(), layout_text(layout));
  detail::check_size(call, "y", y, 2 * x.size(), "twice the size of x");
  if (!x.empty() && std::span<const float>(y).data() < x.data() + x.size() &&
      x.data() < y.data() + y.size()) {
    detail::fail(call, "y overlaps x; crelu cannot run in place");
  }
  const std::size_t block = layout.channels * layout.inner;
  run_slices({.fn = Fn::crelu,
              .pass = detail::Pass::crelu_forward,
              .in0 = x.data(),
              .out = y.data(),
              .out2 = y.data() + block},
             layout, 1);
}

void crelu_backward(std::span<const float> x, std::span<const float> dy, ChannelLayout layout,
                    std::span<float> dx) {
  const detail::Call call{"crelu_backward"};
  detail::check_size(call, "x", x, layout.size(), layout_text(layout));
  detail::check_size(call, "dy", dy, 2 * x.size(), "twice the size of x");
  detail::check_size(call, "dx", dx, x.size(), "the size of x");
  detail::check_no_partial_overlap(call, "x", x, "dx", dx);
  if (!dx.empty() && std::span<const float>(dx).data() < dy.data() + dy.size() &&
      dy.data() < dx.data() + dx.size()) {
    detail::fail(call, "dx overlaps dy");
  }
  const std::size_t block = layout.channels * layout.inner;
  run_slices({.fn = Fn::crelu,
              .pass = detail::Pass::crelu_backward,
              .in0 = x.data(),
              .in1 = dy.data(),
              .in2 = dy.data() + block,
              .out = dx.data()},
             layout, 3);
}

}  // namespace rectify
