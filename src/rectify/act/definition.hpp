// What a function's definition file in functions/ holds, and the defaults it may leave out.
//
// A definition is a struct in rectify::def named like the function, deriving from Definition:
//   - `info`: the registry row (registry.hpp): name, formula, parameters with defaults and
//     ranges, accuracy bounds, which saved tensor backward needs, initializer, layer use, the
//     peers' names for it;
//   - the scalar definition, templated on the number type: forward(a, x), backward(a, x, dy),
//     and where the metadata allows them backward_from_output(a, y, dy), mask_bit(a, x) and
//     mask_slope(a); it decides every edge case (NaN, -0.0, +-inf, the gradient at a kink), and
//     runs in float (the bit-exact oracle of the exact functions) and in double (the oracle of
//     everything else, finite differences and the property report);
//   - coefficients(a): its parameters as the float kernels take them;
//   - its SIMD body, `Body<Fn::name>` in the file's per-target section (simd/body-inl.h says
//     what a body provides), compiled once per target by simd/dispatch.cpp.
// Then one line in function_list.hpp. Nothing else names the function.
#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "rectify/act/activation.hpp"
#include "rectify/act/coefficients.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/act/scalar_math.hpp"

namespace rectify::def {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
// The kernels compute in float: a parameter beyond float's range would become infinite there
// (and 0 * inf NaN) while the double reference stays finite, and one below FLT_MIN would lose
// its precision or become 0 (then 0 * -inf is NaN). Every value is 0, +-inf where the range
// allows it, or a normal float (ParamInfo::allows); the ranges say the rest.
inline constexpr double kFltMax = std::numeric_limits<float>::max();
inline constexpr double kFltMin = std::numeric_limits<float>::min();

// The gradient where the 1-bit mask is clear: dy * slope, or an exact 0 (multiply false) where
// the function's backward selects zero, so that an infinite dy stays 0 there.
struct MaskSlope {
  double slope = 0;
  bool multiply = false;
};

// He gain sqrt(2): relu's, and the default where a definition names none.
inline double relu_gain(const Activation&) {
  return 1.4142135623730950488016887242097;
}

// The piecewise definitions that switch at 0 only.
inline std::vector<double> kink_at_zero(const Activation&) {
  return {0.0};
}

struct Definition {
  template <class T>
  static T backward_from_output(const Activation&, T, T) {
    return std::numeric_limits<T>::quiet_NaN();  // never called: the metadata says no
  }
  template <class T>
  static bool mask_bit(const Activation&, T x) {
    return !(x <= T(0));
  }
  static MaskSlope mask_slope(const Activation&) { return {}; }
  static detail::Coefficients coefficients(const Activation&) { return {}; }
};

}  // namespace rectify::def
