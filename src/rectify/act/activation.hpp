// An activation function with validated parameters: the descriptor every kernel, layer and
// command takes. Built from a text spec ("leaky_relu:0.2", "elu:alpha=0.5") or from parts.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "rectify/act/function_list.hpp"

namespace rectify {

// Every function rectify defines, in the order of function_list.hpp. The registry
// (registry.hpp) holds each one's metadata.
#define RECTIFY_FN_ENUMERATOR(name) name,
enum class Fn { RECTIFY_FUNCTIONS(RECTIFY_FN_ENUMERATOR) };
#undef RECTIFY_FN_ENUMERATOR

inline constexpr std::size_t kMaxParams = 3;

class Activation {
 public:
  // relu with no parameters.
  Activation();
  // `values` are given in the order the registry lists the function's parameters; missing ones
  // take their defaults. Throws std::invalid_argument naming the function, the parameter and the
  // allowed range when a value is outside it.
  explicit Activation(Fn fn, std::initializer_list<double> values = {});

  // Parses "name", "name:v1,v2" (positional) or "name:p=v,q=w" (named). Throws
  // std::invalid_argument with the reason (unknown name, unknown parameter, bad number, range).
  static Activation parse(std::string_view spec);

  Fn fn() const { return fn_; }
  std::string_view name() const;
  // Value of the i-th parameter in the registry's order.
  double param(std::size_t i) const { return values_[i]; }
  // Value of the parameter with this name; throws std::invalid_argument if there is none.
  double param(std::string_view name) const;
  // Canonical text spec, e.g. "elu:alpha=0.5"; parse(to_string()) gives back an equal value.
  std::string to_string() const;

  // What backward needs, decided by the function's metadata and parameters, not by callers.
  bool has_backward_from_output() const;
  bool has_mask() const;

  friend bool operator==(const Activation&, const Activation&) = default;

 private:
  Activation(Fn fn, const std::array<double, kMaxParams>& values);
  Fn fn_;
  std::array<double, kMaxParams> values_{};
};

}  // namespace rectify
