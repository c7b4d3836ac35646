// Metadata of every function: the one table that the spec parser, the CLI, tests, benchmarks
// and reports iterate. Adding a function is its scalar definition, its SIMD body and a row here.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "rectify/act/activation.hpp"

namespace rectify {

struct ParamInfo {
  std::string_view name;
  double default_value;
  double min, max;                          // the allowed range; +-inf for none
  bool min_open = false, max_open = false;  // true: the bound itself is excluded
  std::string_view doc;

  bool allows(double v) const;
  std::string range_text() const;  // "[0, inf)", "(0, inf)", ...
};

// The initializer a layer using the function picks unless told otherwise.
enum class Init { he_normal, he_uniform, lecun_normal, glorot_uniform };
std::string_view init_name(Init init);

struct FunctionInfo {
  Fn fn;
  std::string_view name;
  std::string_view formula;     // f(x), as text for reports
  std::string_view derivative;  // f'(x), as text for reports
  std::span<const ParamInfo> params;
  // Piecewise linear: bit-exact against the float reference on every SIMD target.
  // Otherwise the kernels meet the ULP bounds below against the double reference.
  bool piecewise_linear;
  int max_ulp_forward;   // documented accuracy contract, enforced by tests
  int max_ulp_backward;  // (both 0 for the piecewise-linear family)
  Init default_init;
  // Which saved tensor backward can use, as a function of the parameters.
  bool (*backward_from_output)(const Activation&);
  bool (*mask)(const Activation&);
  // Within this distance of a root of f' (e.g. gelu's at x = -0.75), the backward bound is in
  // units of |dy| FLT_EPSILON instead of ULP of dx: there is no relative precision to keep.
  double root_window = 0;
};

std::span<const FunctionInfo> registry();
const FunctionInfo& info(Fn fn);
// nullptr when no function has that name.
const FunctionInfo* find_function(std::string_view name);

}  // namespace rectify
