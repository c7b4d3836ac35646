// Adam's update of one block of a tensor, run on the best SIMD target (adam.cpp). Internal; not
// installed.
#pragma once

#include <cstddef>

namespace rectify::train {

struct AdamUpdate {
  float b1, b2, step, root_c2, eps, wd, lr;
  bool decoupled;  // AdamW: w -= lr wd w; else g += wd w
};

// For j < n: g' = g + wd w (or w -= lr wd w first), m = b1 m + (1 - b1) g',
// v = b2 v + (1 - b2) g' g', w -= step m / (sqrt(v) / root_c2 + eps). False when a w is NaN or
// infinite after it.
bool adam_update(const AdamUpdate& u, float* w, const float* g, float* m, float* v, std::size_t n);

}  // namespace rectify::train
