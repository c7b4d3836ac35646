// The scalar definition of every function: value, backward from the input, backward from the
// output. Templated on the number type so that it runs in float (the bit-exact oracle for the
// piecewise-linear family) and in double (the oracle for everything else, finite differences and
// the property report). Edge cases (NaN, -0.0, +-inf, the value of the gradient at a kink) are
// decided here, once, by the order of the comparisons; the SIMD kernels copy these comparisons.
//
// Backward takes dy and selects rather than multiplies where the derivative is 0 or 1, as PyTorch
// does, so that an infinite dy does not become NaN in a region where the gradient is zero.
#pragma once

#include <array>
#include <cmath>
#include <limits>

#include "rectify/act/activation.hpp"

namespace rectify::ref {

// SELU's constants (Klambauer et al. 2017), to full double precision.
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;
inline constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;  // sqrt(2/pi)
inline constexpr double kGeluTanhCubic = 0.044715;
inline constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;  // 1/sqrt(2 pi)

// The elu family (elu, selu, celu) as PyTorch writes it: x <= 0 ? neg * expm1(x * in) : x * pos.
template <class T>
struct EluCoefficients {
  T pos, neg, in;
};

template <class T>
EluCoefficients<T> elu_coefficients(Fn fn, const Activation& a) {
  switch (fn) {
    case Fn::selu:
      return {T(kSeluScale), T(kSeluScale * kSeluAlpha), T(1)};
    case Fn::celu:
      return {T(1), T(a.param(0)), T(1 / a.param(0))};
    default:
      return {T(1), T(a.param(0)), T(1)};
  }
}

template <class T>
T sigmoid(T x) {
  // Stable on both sides: exp of a non-positive number never overflows.
  const T e = std::exp(-std::fabs(x));
  const T s = T(1) / (T(1) + e);
  return x >= T(0) ? s : e * s;
}

// sigmoid'(x) = s (1 - s) = e / (1 + e)^2 with e = exp(-|x|), free of cancellation.
template <class T>
T sigmoid_slope(T x) {
  const T e = std::exp(-std::fabs(x));
  return e / ((T(1) + e) * (T(1) + e));
}

template <class T>
T relu(T x) {
  return x < T(0) ? T(0) : x;  // NaN and -0.0 pass through unchanged
}

// Keras' relu(x, negative_slope, max_value, threshold). Below the threshold the result is +0
// or negative: a zero slope gives exactly 0 (even at -inf) and +0 turns a -0 product into +0.
template <class T>
T keras_relu(T x, T slope, T max_value, T threshold) {
  if (x >= max_value) return max_value;
  if (!(x < threshold)) return x;                                // x >= threshold, or NaN
  return slope == T(0) ? T(0) : slope * (x - threshold) + T(0);  // 0 * -inf would be NaN
}

template <class T>
T gelu_tanh_inner(T x) {  // 2u where u = sqrt(2/pi) (x + 0.044715 x^3)
  return T(2) * T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
}

template <class T>
T softplus(T x, T beta, T threshold) {
  const T bx = x * beta;
  if (bx > threshold) return x;
  return (std::fmax(bx, T(0)) + std::log1p(std::exp(-std::fabs(bx)))) / beta;
}

// y = f(x). For crelu this is the first half, relu(x); the second half is relu(-x).
template <class T>
T forward(const Activation& a, T x) {
  const Fn fn = a.fn();
  switch (fn) {
    case Fn::relu:
    case Fn::crelu:
      return relu(x);
    case Fn::leaky_relu:
    case Fn::prelu:
      return x > T(0) ? x : x * T(a.param(0));
    case Fn::elu:
    case Fn::selu:
    case Fn::celu: {
      const auto c = elu_coefficients<T>(fn, a);
      // + 0 makes f(-0.0) = +0, as PyTorch's exp(x) - 1 gives.
      return x <= T(0) ? c.neg * std::expm1(x * c.in) + T(0) : x * c.pos;
    }
    case Fn::relu6:
      return x < T(0) ? T(0) : (x > T(6) ? T(6) : x);
    case Fn::keras_relu:
      return keras_relu(x, T(a.param(0)), T(a.param(1)), T(a.param(2)));
    case Fn::sigmoid:
      return sigmoid(x);
    case Fn::tanh:
      return std::tanh(x);
    case Fn::gelu_erf:
      return T(0.5) * x * std::erfc(-x * T(kInvSqrt2)) + T(0);  // gelu(-0.0) = +0, as PyTorch
    case Fn::gelu_tanh:
      return x * sigmoid(gelu_tanh_inner(x));
    case Fn::silu:
      return x * sigmoid(x);
    case Fn::softplus:
      return softplus(x, T(a.param(0)), T(a.param(1)));
  }
  return std::numeric_limits<T>::quiet_NaN();
}

// dx = dy * f'(x), with the gradient at each kink and at NaN decided by the comparisons below
// (PyTorch's choices: relu'(0) = 0, relu6'(0) = relu6'(6) = 0, leaky'(0) = slope, elu'(0) = alpha).
template <class T>
T backward(const Activation& a, T x, T dy) {
  const Fn fn = a.fn();
  switch (fn) {
    case Fn::relu:
    case Fn::crelu:
      return x <= T(0) ? T(0) : dy;
    case Fn::leaky_relu:
    case Fn::prelu:
      return x > T(0) ? dy : dy * T(a.param(0));
    case Fn::elu:
    case Fn::selu:
    case Fn::celu: {
      const auto c = elu_coefficients<T>(fn, a);
      return x > T(0) ? dy * c.pos : dy * (c.in * c.neg) * std::exp(x * c.in);  // NaN: NaN
    }
    case Fn::relu6:
      return (x <= T(0) || x >= T(6)) ? T(0) : dy;
    case Fn::keras_relu:  // a zero slope selects an exact 0, as relu does
      if (x >= T(a.param(1)) && a.param(1) < HUGE_VAL) return T(0);  // no clip point at inf
      if (!(x <= T(a.param(2)))) return dy;                          // NaN passes dy, as in relu
      return a.param(0) == 0.0 ? T(0) : dy * T(a.param(0));
    case Fn::sigmoid:  // s (1 - s) = e / (1 + e)^2, e = exp(-|x|): 1 - s cancels in the tail
      return dy * sigmoid_slope(x);
    case Fn::tanh:  // 1 - t^2 = 4 q / (1 + q)^2, q = exp(-2 |x|): 1 - t^2 cancels in the tails
      return dy * sigmoid_slope(T(2) * x) * T(4);
    case Fn::gelu_erf: {
      const T cdf = T(0.5) * std::erfc(-x * T(kInvSqrt2));
      const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
      return dy * (cdf + x * pdf);
    }
    case Fn::gelu_tanh: {
      const T s = sigmoid(gelu_tanh_inner(x));
      const T inner_dx = T(2) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluTanhCubic) * x * x);
      return dy * (s + x * inner_dx * s * (T(1) - s));
    }
    case Fn::silu: {
      const T s = sigmoid(x);
      return dy * (s * (T(1) + x * (T(1) - s)));
    }
    case Fn::softplus: {
      const T bx = x * T(a.param(0));
      return bx > T(a.param(1)) ? dy : dy * sigmoid(bx);
    }
  }
  return std::numeric_limits<T>::quiet_NaN();
}

// dx from y = f(x). Valid only where Activation::has_backward_from_output() says so.
template <class T>
T backward_from_output(const Activation& a, T y, T dy) {
  const Fn fn = a.fn();
  switch (fn) {
    case Fn::relu:
    case Fn::crelu:
      return y <= T(0) ? T(0) : dy;
    case Fn::leaky_relu:
    case Fn::prelu:
      return y > T(0) ? dy : dy * T(a.param(0));
    case Fn::elu:
    case Fn::selu:
    case Fn::celu: {
      const auto c = elu_coefficients<T>(fn, a);
      return y > T(0) ? dy * c.pos : dy * c.in * (y + c.neg);
    }
    case Fn::relu6:
      return (y <= T(0) || y >= T(6)) ? T(0) : dy;
    case Fn::keras_relu:
      return backward(a, y, dy);  // valid: the regions of y are those of x (slope, threshold >= 0)
    case Fn::sigmoid:
      return dy * (y * (T(1) - y));
    case Fn::tanh:
      return dy * (T(1) - y * y);
    default:
      return std::numeric_limits<T>::quiet_NaN();
  }
}

// The 1-bit mask of the piecewise-linear family: 1 where the gradient is 1, 0 where it is the
// other slope (mask_slope). Valid only where Activation::has_mask() says so.
template <class T>
bool mask_bit(const Activation& a, T x) {
  switch (a.fn()) {
    case Fn::leaky_relu:
    case Fn::prelu:
      return x > T(0);
    case Fn::relu6:
      return !(x <= T(0) || x >= T(6));
    case Fn::keras_relu:
      return !((x >= T(a.param(1)) && a.param(1) < HUGE_VAL) || x <= T(a.param(2)));
    default:
      return !(x <= T(0));
  }
}

// The slope where the mask bit is 0.
inline double mask_slope(const Activation& a) {
  switch (a.fn()) {
    case Fn::leaky_relu:
    case Fn::prelu:
      return a.param(0);
    case Fn::keras_relu:
      return std::isinf(a.param(1)) ? a.param(0) : 0.0;
    default:
      return 0.0;
  }
}

}  // namespace rectify::ref
