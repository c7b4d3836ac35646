// How many threads the kernels use, and when a span is large enough to split.
#pragma once

#include <cstddef>

namespace rectify {

// Threads used for large spans; defaults to OpenMP's maximum. n < 1 restores the default.
void set_num_threads(int n);
int num_threads();

// Spans shorter than this stay on one thread: below it, starting threads costs more than the
// work (measured with `rectify bench --threads 2`; see README "Threads").
inline constexpr std::size_t kParallelThreshold = std::size_t{1} << 17;

}  // namespace rectify
