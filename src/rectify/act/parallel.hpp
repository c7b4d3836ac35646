// Splits [0, n) into blocks of 64-element multiples and runs them on the kernel threads.
// Internal; not installed.
#pragma once

#include <omp.h>
#include <algorithm>
#include <cstddef>

#include "rectify/act/threads.hpp"

namespace rectify::detail {

// body(begin, end) over contiguous pieces; pieces start at multiples of 64 so that mask bytes
// are never shared between threads. n below `threshold` runs inline on the calling thread.
template <class Body>
void parallel_for(std::size_t n, std::size_t threshold, const Body& body) {
  const int threads = num_threads();
  if (threads <= 1 || n < threshold) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t pieces = static_cast<std::size_t>(threads);
  const std::size_t step = ((n + pieces - 1) / pieces + 63) / 64 * 64;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::size_t p = 0; p < pieces; ++p) {
    const std::size_t begin = std::min(n, p * step);
    const std::size_t end = std::min(n, begin + step);
    if (begin < end) body(begin, end);
  }
}

}  // namespace rectify::detail
