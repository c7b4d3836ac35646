#include "rectify/act/kernels.hpp"

#include <fmt/format.h>
#include <cmath>

#include "rectify/act/checks.hpp"
#include "rectify/act/parallel.hpp"
#include "rectify/act/reference.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/act/simd/kernel_call.hpp"

namespace rectify {

namespace {

using detail::KernelCall;
using detail::Pass;

void run(const KernelCall& call, std::size_t n) {
  detail::parallel_for(n, parallel_threshold(call.fn), [&](std::size_t begin, std::size_t end) {
    detail::run_kernel(call, begin, end);
  });
}

detail::Call call_name(std::string_view what, const Activation& a) {
  return {what, a.name()};
}

}  // namespace

void forward(const Activation& a, std::span<const float> x, std::span<float> y) {
  const auto call = call_name("forward", a);
  detail::check_data(call, "x", x);
  const std::size_t n = x.size();
  if (layer_kind(a) == LayerKind::channel_pair) {
    detail::check_size(call, "y", y, 2 * n, "twice the size of x");
    detail::check_no_partial_overlap(call, "x", x, "y", y.first(n));
    detail::check_no_partial_overlap(call, "x", x, "y", y.subspan(n));
    if (x.data() == y.data() && n > 0)
      detail::fail(call, fmt::format("{} cannot run in place", a.name()));
    run({.fn = a.fn(),
         .pass = Pass::crelu_forward,
         .in0 = x.data(),
         .out = y.data(),
         .out2 = y.data() + n},
        n);
    return;
  }
  detail::check_size(call, "y", y, n, "the size of x");
  detail::check_no_partial_overlap(call, "x", x, "y", y);
  run({.fn = a.fn(),
       .pass = Pass::forward,
       .k = ref::coefficients(a),
       .in0 = x.data(),
       .out = y.data()},
      n);
}

void backward(const Activation& a, std::span<const float> x, std::span<const float> dy,
              std::span<float> dx) {
  const auto call = call_name("backward", a);
  detail::check_data(call, "x", x);
  const std::size_t n = x.size();
  detail::check_size(call, "dx", dx, n, "the size of x");
  detail::check_no_partial_overlap(call, "x", x, "dx", dx);
  if (layer_kind(a) == LayerKind::channel_pair) {
    detail::check_size(call, "dy", dy, 2 * n, "twice the size of x");
    detail::check_no_partial_overlap(call, "dy", dy, "dx", dx);
    run({.fn = a.fn(),
         .pass = Pass::crelu_backward,
         .in0 = x.data(),
         .in1 = dy.data(),
         .in2 = dy.data() + n,
         .out = dx.data()},
        n);
    return;
  }
  detail::check_size(call, "dy", dy, n, "the size of x");
  detail::check_no_partial_overlap(call, "dy", dy, "dx", dx);
  run({.fn = a.fn(),
       .pass = Pass::backward,
       .k = ref::coefficients(a),
       .in0 = x.data(),
       .in1 = dy.data(),
       .out = dx.data()},
      n);
}

void backward_from_output(const Activation& a, std::span<const float> y, std::span<const float> dy,
                          std::span<float> dx) {
  const auto call = call_name("backward_from_output", a);
  if (!a.has_backward_from_output()) {
    detail::fail(call, fmt::format("the output of {} does not determine its gradient; use "
                                   "backward() with the input",
                                   a.to_string()));
  }
  detail::check_data(call, "y", y);
  const std::size_t n = y.size();
  detail::check_size(call, "dy", dy, n, "the size of y");
  detail::check_size(call, "dx", dx, n, "the size of y");
  detail::check_no_partial_overlap(call, "y", y, "dx", dx);
  detail::check_no_partial_overlap(call, "dy", dy, "dx", dx);
  run({.fn = a.fn(),
       .pass = Pass::backward_output,
       .k = ref::coefficients(a),
       .in0 = y.data(),
       .in1 = dy.data(),
       .out = dx.data()},
      n);
}

void forward_with_mask(const Activation& a, std::span<const float> x, std::span<float> y,
                       std::span<std::uint8_t> mask) {
  const auto call = call_name("forward_with_mask", a);
  if (!a.has_mask()) {
    detail::fail(call, fmt::format("{} has no 1-bit mask (its gradient takes more than two "
                                   "values, or is not piecewise constant)",
                                   a.to_string()));
  }
  detail::check_data(call, "x", x);
  const std::size_t n = x.size();
  detail::check_size(call, "y", y, n, "the size of x");
  detail::check_size(call, "mask", mask, mask_bytes(n), "one bit per element of x");
  detail::check_no_partial_overlap(call, "x", x, "y", y);
  detail::check_no_partial_overlap(call, "x", x, "mask", mask);
  detail::check_no_partial_overlap(call, "y", std::span<const float>(y), "mask", mask);
  run({.fn = a.fn(),
       .pass = Pass::forward_mask,
       .k = ref::coefficients(a),
       .in0 = x.data(),
       .out = y.data(),
       .mask_out = mask.data()},
      n);
}

void backward_from_mask(const Activation& a, std::span<const std::uint8_t> mask,
                        std::span<const float> dy, std::span<float> dx) {
  const auto call = call_name("backward_from_mask", a);
  if (!a.has_mask()) {
    detail::fail(call, fmt::format("{} has no 1-bit mask", a.to_string()));
  }
  detail::check_data(call, "dy", dy);
  const std::size_t n = dy.size();
  detail::check_size(call, "dx", dx, n, "the size of dy");
  detail::check_size(call, "mask", mask, mask_bytes(n), "one bit per element of dy");
  detail::check_no_partial_overlap(call, "dy", dy, "dx", dx);
  detail::check_no_partial_overlap(call, "mask", mask, "dx", dx);
  // Where the bit is clear the gradient is the other slope: multiplied like the function's own
  // backward does, or an exact zero where that backward selects zero.
  const auto other = ref::mask_slope(a);
  run({.fn = a.fn(),
       .pass = Pass::backward_mask,
       .k = {static_cast<float>(other.slope), other.multiply ? 1.0f : 0.0f, 0},
       .in1 = dy.data(),
       .mask_in = mask.data(),
       .out = dx.data()},
      n);
}

}  // namespace rectify
