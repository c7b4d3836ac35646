// The one thread pool: rectify's loops and OpenBLAS's GEMMs (its OpenMP build) all run on
// OpenMP's threads. Internal; not installed.
#pragma once

#include <omp.h>
#include <algorithm>
#include <cstddef>

#include "rectify/act/threads.hpp"

namespace rectify::detail {

// Threads for `work` units when each thread should get at least `grain` of them: 1 inside a
// parallel region already (the caller's region has the cores), at most num_threads().
inline std::size_t threads_for(std::size_t work, std::size_t grain) {
  if (omp_in_parallel()) return 1;
  const auto most = static_cast<std::size_t>(num_threads());
  return std::clamp<std::size_t>(grain == 0 ? most : work / grain, 1, most);
}

// body(begin, end) over contiguous pieces; pieces start at multiples of 64 so that mask bytes
// are never shared between threads. n below `threshold` runs inline on the calling thread.
template <class Body>
void parallel_for(std::size_t n, std::size_t threshold, const Body& body) {
  const int threads = num_threads();
  if (threads <= 1 || n < threshold || omp_in_parallel()) {
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

// body(task, thread) for every task in [0, tasks) on `threads` threads (thread < threads
// indexes per-thread scratch). Tasks are handed out one at a time as threads free up, so a
// thread that lost its core to another process takes fewer of them instead of stalling the
// rest. Results must not depend on which thread ran a task: each task writes its own output.
// body must not throw.
template <class Body>
void for_each_task(std::size_t tasks, std::size_t threads, const Body& body) {
  threads = std::min(threads, tasks);
  if (threads <= 1) {
    for (std::size_t t = 0; t < tasks; ++t) body(t, std::size_t{0});
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(threads)) schedule(dynamic, 1)
  for (std::size_t t = 0; t < tasks; ++t) body(t, static_cast<std::size_t>(omp_get_thread_num()));
}

}  // namespace rectify::detail
