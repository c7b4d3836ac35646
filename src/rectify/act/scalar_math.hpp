// Scalar helpers shared by the definitions in functions/: constants and a cancellation-free
// sigmoid, templated on the number type (float for the bit-exact oracle, double for the others).
#pragma once

#include <cmath>

namespace rectify::ref {

// SELU's constants (Klambauer et al. 2017), to full double precision.
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;
inline constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;  // sqrt(2/pi)
inline constexpr double kGeluTanhCubic = 0.044715;
inline constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;  // 1/sqrt(2 pi)

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

}  // namespace rectify::ref
