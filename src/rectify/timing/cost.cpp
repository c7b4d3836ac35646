#include "rectify/timing/cost.hpp"

#include <stdexcept>

#include "rectify/timing/eltwise_bench.hpp"

namespace rectify::timing {

Cost forward_cost(const Activation& a, const CostOptions& options) {
  if (options.size == 0) throw std::invalid_argument("forward_cost: size must be >= 1");
  const Options timing{.min_seconds = options.min_seconds, .repetitions = 3};
  const std::size_t n = options.size;
  const auto fn = run({a, Pass::forward, n, 1}, timing);
  const auto relu = run({Activation(), Pass::forward, n, 1}, timing);
  const double per_element = 1e9 / static_cast<double>(n);
  return {.target = fn.target,
          .size = n,
          .ns_per_element = fn.seconds * per_element,
          .relu_ns_per_element = relu.seconds * per_element,
          .ratio_to_relu = fn.seconds / relu.seconds};
}

std::function<Cost(const Activation&)> cost_probe(const CostOptions& options) {
  return [options](const Activation& a) { return forward_cost(a, options); };
}

}  // namespace rectify::timing
