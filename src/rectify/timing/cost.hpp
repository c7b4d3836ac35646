// The cost column of `rectify props`: the forward kernel's time per element, one thread, in
// cache, and its ratio to relu's, measured with the eltwise timing harness. act/properties
// knows nothing of timing; it takes this as PropertyOptions::cost.
#pragma once

#include <cstddef>
#include <functional>

#include "rectify/act/activation.hpp"
#include "rectify/act/properties.hpp"

namespace rectify::timing {

struct CostOptions {
  std::size_t size = 65536;    // floats per call, in cache
  double min_seconds = 0.005;  // per repetition
};

// std::invalid_argument when options.size is 0.
Cost forward_cost(const Activation& a, const CostOptions& options = {});

// forward_cost with these options, as PropertyOptions::cost takes it.
std::function<Cost(const Activation&)> cost_probe(const CostOptions& options = {});

}  // namespace rectify::timing
