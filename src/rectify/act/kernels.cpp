#include "rectify/act/kernels.hpp"

#include <fmt/format.h>
#include <cmath>

#include "rectify/act/checks.hpp"
#include "rectify/act/parallel.hpp"
#include "rectify/act/reference.hpp"
#include "rectify/act/simd/kernel_call.hpp"

namespace rectify {
namespace detail {

Coefficients coefficients(const Activation& a) {
  const auto f = [](double v) { return static_cast<float>(v); };
  switch (a.fn()) {
    case Fn::leaky_relu:
    case Fn::prelu:
      return {f(a.param(0)), 0, 0};
    case Fn::elu:
    case Fn::selu:
    case Fn::celu: {
      const auto c = ref::elu_coefficients<float>(a.fn(), a);
      const auto e = ref::elu_coefficients<double>(a.fn(), a);
      const double grad = e.in * e.neg;
      return {c.pos, c.neg, c.in, f(grad), f(grad - f(grad))};
    }
    case Fn::keras_relu:
      return {f(a.param(0)), f(a.param(1)), f(a.param(2))};
    case Fn::softplus:
      return {f(a.param(0)), f(a.param(1)), 0};
    default:
      return {};
  }
}

}  // namespace detail

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
  if (a.fn() == Fn::crelu) {
    detail::check_size(call, "y", y, 2 * n, "twice the size of x");
    detail::check_no_partial_overlap(call, "x", x, "y", y.first(n));
    detail::check_no_partial_overlap(call, "x", x, "y", y.subspan(n));
    if (x.data() == y.data() && n > 0) detail::fail(call, "crelu cannot run in place");
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
       .k = detail::coefficients(a),
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
  if (a.fn() == Fn::crelu) {
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
       .k = detail::coefficients(a),
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
       .k = detail::coefficients(a),
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
       .k = detail::coefficients(a),
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
  const double slope = ref::mask_slope(a);
  const bool multiply = a.fn() == Fn::leaky_relu || a.fn() == Fn::prelu || slope != 0.0;
  run({.fn = a.fn(),
       .pass = Pass::backward_mask,
       .k = {static_cast<float>(slope), multiply ? 1.0f : 0.0f, 0},
       .in1 = dy.data(),
       .mask_in = mask.data(),
       .out = dx.data()},
      n);
}

}  // namespace rectify
