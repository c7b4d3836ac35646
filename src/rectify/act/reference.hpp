// The scalar definition of every function, dispatched on the Activation: value, backward from
// the input, backward from the output, and the 1-bit mask. Templated on the number type so that
// it runs in float (the bit-exact oracle of the exact functions) and in double (the oracle for
// everything else, finite differences and the property report). Each function's edge cases are
// decided in its definition (functions/), once; its SIMD body copies the comparisons.
//
// Backward takes dy and selects rather than multiplies where the derivative is 0 or 1, as PyTorch
// does, so that an infinite dy does not become NaN in a region where the gradient is zero.
#pragma once

#include <limits>

#include "rectify/act/activation.hpp"
#include "rectify/act/all_functions.hpp"  // generated: every file in functions/
#include "rectify/act/function_list.hpp"

namespace rectify::ref {

// `def::name::call` for the function of `a`.
#define RECTIFY_REF_DISPATCH(call)                               \
  switch (a.fn()) { RECTIFY_FUNCTIONS(RECTIFY_REF_CASE_##call) } \
  return {}
#define RECTIFY_REF_CASE_forward(name) \
  case Fn::name:                       \
    return def::name::forward(a, x);
#define RECTIFY_REF_CASE_backward(name) \
  case Fn::name:                        \
    return def::name::backward(a, x, dy);
#define RECTIFY_REF_CASE_backward_from_output(name) \
  case Fn::name:                                    \
    return def::name::backward_from_output(a, y, dy);
#define RECTIFY_REF_CASE_mask_bit(name) \
  case Fn::name:                        \
    return def::name::mask_bit(a, x);
#define RECTIFY_REF_CASE_mask_slope(name) \
  case Fn::name:                          \
    return def::name::mask_slope(a);
#define RECTIFY_REF_CASE_coefficients(name) \
  case Fn::name:                            \
    return def::name::coefficients(a);

// y = f(x). For crelu this is the first half, relu(x); the second half is relu(-x).
template <class T>
T forward(const Activation& a, T x) {
  RECTIFY_REF_DISPATCH(forward);
}

// dx = dy * f'(x), with the gradient at each kink and at NaN decided by the definition
// (PyTorch's choices: relu'(0) = 0, relu6'(0) = relu6'(6) = 0, leaky'(0) = slope, elu'(0) = alpha).
template <class T>
T backward(const Activation& a, T x, T dy) {
  RECTIFY_REF_DISPATCH(backward);
}

// dx from y = f(x). Valid only where Activation::has_backward_from_output() says so.
template <class T>
T backward_from_output(const Activation& a, T y, T dy) {
  RECTIFY_REF_DISPATCH(backward_from_output);
}

// The 1-bit mask: 1 where the gradient is 1, 0 where it is the other slope (mask_slope). Valid
// only where Activation::has_mask() says so.
template <class T>
bool mask_bit(const Activation& a, T x) {
  RECTIFY_REF_DISPATCH(mask_bit);
}

// The gradient where the mask bit is 0.
inline def::MaskSlope mask_slope(const Activation& a) {
  RECTIFY_REF_DISPATCH(mask_slope);
}

// The parameters as the float kernels take them.
inline detail::Coefficients coefficients(const Activation& a) {
  RECTIFY_REF_DISPATCH(coefficients);
}

#undef RECTIFY_REF_CASE_forward
#undef RECTIFY_REF_CASE_backward
#undef RECTIFY_REF_CASE_backward_from_output
#undef RECTIFY_REF_CASE_mask_bit
#undef RECTIFY_REF_CASE_mask_slope
#undef RECTIFY_REF_CASE_coefficients
#undef RECTIFY_REF_DISPATCH

}  // namespace rectify::ref
