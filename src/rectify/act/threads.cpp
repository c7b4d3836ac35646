#include "rectify/act/threads.hpp"

#include <cblas.h>
#include <omp.h>

#include <atomic>
#include "rectify/act/registry.hpp"

namespace rectify {
namespace {
std::atomic<int> requested{0};  // 0: OpenMP's default
}  // namespace

void set_num_threads(int n) {
  requested.store(n < 1 ? 0 : n, std::memory_order_relaxed);
  // The GEMMs follow the same count; OpenBLAS keeps its own pool (OPENBLAS_NUM_THREADS, all
  // cores by default) until told.
  openblas_set_num_threads(n < 1 ? omp_get_num_procs() : n);
}

int num_threads() {
  const int n = requested.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

std::size_t parallel_threshold(Fn fn) {
  return info(fn).piecewise_linear ? kParallelThreshold : kParallelThresholdSmooth;
}

}  // namespace rectify
