// The one internal entry point into the SIMD kernels: which function, which pass, the pointers
// and the range. Built and checked by kernels.cpp, prelu.cpp and crelu.cpp; run per target by
// dispatch.cpp. Not installed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rectify/act/activation.hpp"
#include "rectify/act/coefficients.hpp"

namespace rectify::detail {

enum class Pass : std::uint8_t {
  forward,              // in0 = x                      -> out = y
  backward,             // in0 = x, in1 = dy            -> out = dx
  backward_output,      // in0 = y, in1 = dy            -> out = dx
  forward_mask,         // in0 = x                      -> out = y, mask_out
  backward_mask,        // mask_in, in1 = dy            -> out = dx
  crelu_forward,        // in0 = x                      -> out = relu(x), out2 = relu(-x)
  crelu_backward,       // in0 = x, in1 = dy1, in2 = dy2 -> out = dx
  prelu_sum,            // in0 = x, in1 = dy            -> out = dx; *sum = sum(x > 0 ? 0 : x dy)
  prelu_rows_forward,   // in0 = x, in1 = slopes    -> out = y (one row of C channels)
  prelu_rows_backward,  // in0 = x, in1 = slopes, in2 = dy -> out = dx, out2 += x > 0 ? 0 : x dy
};

struct KernelCall {
  Fn fn = Fn::relu;
  Pass pass = Pass::forward;
  Coefficients k;
  const float* in0 = nullptr;
  const float* in1 = nullptr;
  const float* in2 = nullptr;
  const std::uint8_t* mask_in = nullptr;
  float* out = nullptr;
  float* out2 = nullptr;
  std::uint8_t* mask_out = nullptr;
  double* sum = nullptr;
};

// Runs the call over elements [begin, end) of every pointer. For the mask passes begin must be a
// multiple of 64 (mask byte begin / 8). Chooses the best (or the pinned) SIMD target.
void run_kernel(const KernelCall& call, std::size_t begin, std::size_t end);

}  // namespace rectify::detail
