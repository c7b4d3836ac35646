// A function's parameters as the float SIMD kernels use them: what the scalar float reference
// computes with. Each definition (functions/) fills them from its Activation. Not installed.
#pragma once

namespace rectify::detail {

struct Coefficients {
  float c0 = 0, c1 = 0, c2 = 0;
  // The elu family's gradient constant in * neg, rounded from double as hi + lo: selu's is not
  // a float, and its rounding would add half an ULP to the gradient's error.
  float grad_hi = 0, grad_lo = 0;
};

}  // namespace rectify::detail
