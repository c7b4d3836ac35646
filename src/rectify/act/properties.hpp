// The checklist of an activation function — range, monotonicity, continuity, kinks, saturation,
// behaviour on N(0, 1) input, cost — measured numerically from its scalar definition
// (reference.hpp, in double) and its registry row. Nothing here is written per function: a new
// function gets its properties from the same probes. The cost is timed above this layer
// (rectify/timing/cost.hpp) and passed in.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/act/activation.hpp"

namespace rectify {

// One end of the range of f: +-inf when f is unbounded on that side.
struct RangeBound {
  double value = 0;
  bool closed = false;  // f takes this value at a finite x (not only in the limit)
};

struct Range {
  RangeBound lower, upper;
  bool bounded_below() const;
  bool bounded_above() const;
  std::string text() const;  // "[0, inf)", "(-1, inf)", "[0, 6]", "(0, 1)"
};

enum class Monotonicity { strictly_increasing, non_decreasing, not_monotonic };
std::string_view monotonicity_name(Monotonicity m);  // "strictly increasing", ...

// x = 0, or a point where f or the reference backward jumps (a kink, a clip point, a branch).
struct SpecialPoint {
  double x = 0;
  double jump = 0;  // |f(x+) - f(x-)|, from the neighbouring doubles
  bool continuous = true;
  double left_derivative = 0, right_derivative = 0;  // one-sided finite differences of f
  double backward = 0;         // what the reference backward returns at x (dy = 1)
  bool differentiable = true;  // continuous, and the one-sided derivatives agree
};

// f(x) for x ~ N(0, 1), over a deterministic quantile grid of the normal distribution.
struct NormalInputStats {
  std::size_t samples = 0;
  double mean = 0, stddev = 0;
  double zero_fraction = 0;           // outputs exactly 0: sparsity
  double zero_gradient_fraction = 0;  // reference backward exactly 0
};

// Forward pass of the SIMD kernels, one thread, in cache.
struct Cost {
  std::string target;  // the SIMD target that ran
  std::size_t size = 0;
  double ns_per_element = 0;  // per input element (crelu writes two outputs per input)
  double relu_ns_per_element = 0;
  double ratio_to_relu = 0;
};

struct ParamValue {
  std::string_view name;
  double value;
};

struct Properties {
  Activation activation;
  std::string_view formula, derivative;  // from the registry
  std::vector<ParamValue> params;        // the values measured with
  Range range;
  Monotonicity monotonicity = Monotonicity::not_monotonic;
  bool continuous = true;             // at every special point (elsewhere f is one formula)
  bool derivative_continuous = true;  // differentiable at every special point
  std::vector<SpecialPoint> points;   // sorted by x; always includes 0
  bool saturates_left = false;        // f'(x) -> 0 as x -> -inf
  bool saturates_right = false;       // f'(x) -> 0 as x -> +inf
  NormalInputStats normal;
  std::optional<Cost> cost;  // empty when PropertyOptions::cost is empty
  std::string_view default_init;

  bool zero_centred() const;  // |mean| <= 5% of the standard deviation on N(0, 1) input
};

struct PropertyOptions {
  double grid_limit = 1e6;                 // |x| probed on the grid; +-inf are probed too
  std::size_t normal_samples = 1'000'000;  // quantiles of N(0, 1)
  // Times the function's forward kernel (timing::cost_probe()); empty: no timing (tests, quick
  // reports).
  std::function<Cost(const Activation&)> cost;
};

// For crelu the properties are those of its first half, relu(x) (the second is relu(-x)).
Properties measure_properties(const Activation& a, const PropertyOptions& options = {});

}  // namespace rectify
