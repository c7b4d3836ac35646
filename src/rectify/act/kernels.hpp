// Elementwise passes over spans of floats: the public kernel API.
//
// Every function checks its arguments (sizes, aliasing) and throws std::invalid_argument with
// what was expected; behind that check the SIMD kernels trust their input. An output may be the
// very same span as an input (in place); a partial overlap is an error. Large spans are split
// over threads (threads.hpp); the result never depends on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "rectify/act/activation.hpp"

namespace rectify {

// y = f(x). For crelu, y has twice the size of x: [relu(x), relu(-x)] (crelu.hpp concatenates
// along another axis). For prelu, the slope is the spec's shared value (prelu.hpp learns slopes).
void forward(const Activation& a, std::span<const float> x, std::span<float> y);

// dx = dy * f'(x). For crelu, dy has twice the size of x.
void backward(const Activation& a, std::span<const float> x, std::span<const float> dy,
              std::span<float> dx);

// dx = dy * f'(x) computed from y = f(x); valid where a.has_backward_from_output().
void backward_from_output(const Activation& a, std::span<const float> y, std::span<const float> dy,
                          std::span<float> dx);

// Bytes of a 1-bit mask for n elements: bit i is bit (i % 8) of byte i / 8; the unused bits of
// the last byte are zero.
constexpr std::size_t mask_bytes(std::size_t n) {
  return (n + 7) / 8;
}

// y = f(x), and the mask of the piecewise-linear family: bit set where f'(x) = 1, clear where it
// is the other slope. Valid where a.has_mask(); mask.size() must be mask_bytes(x.size()).
void forward_with_mask(const Activation& a, std::span<const float> x, std::span<float> y,
                       std::span<std::uint8_t> mask);

// dx = dy * f'(x) from the mask written by forward_with_mask.
void backward_from_mask(const Activation& a, std::span<const std::uint8_t> mask,
                        std::span<const float> dy, std::span<float> dx);

}  // namespace rectify
