// How many threads the kernels use, and when a span is large enough to split.
#pragma once

#include <cstddef>

#include "rectify/act/activation.hpp"

namespace rectify {

// Threads of rectify's pool (kernels, layers, their GEMMs); defaults to OpenMP's maximum
// (OMP_NUM_THREADS, else the cores). n < 1 restores the default.
void set_num_threads(int n);
int num_threads();

// Spans shorter than these stay on one thread: below them, waking a second thread costs about
// what it saves. Measured with bench/thread_threshold (README, "Threads"): on 2 cores relu gains
// 1.3x from a second thread at 16K elements and nothing at 4K; elu (ten times the work per
// element) gains 1.5x at 4K. The thresholds sit at twice those sizes, for margin.
inline constexpr std::size_t kParallelThreshold = 32768;       // piecewise-linear family
inline constexpr std::size_t kParallelThresholdSmooth = 8192;  // exp-based functions
std::size_t parallel_threshold(Fn fn);

}  // namespace rectify
