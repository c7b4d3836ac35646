#include "rectify/act/threads.hpp"

#include <omp.h>

#include <atomic>
#include "rectify/act/registry.hpp"

namespace rectify {
namespace {
std::atomic<int> requested{0};  // 0: OpenMP's default
}  // namespace

void set_num_threads(int n) {
  // Only rectify's count: its GEMMs run OpenBLAS on one thread per call (nn/gemm), and OpenBLAS's
  // own setting would also overwrite the caller's OpenMP default.
  requested.store(n < 1 ? 0 : n, std::memory_order_relaxed);
}

int num_threads() {
  const int n = requested.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

std::size_t parallel_threshold(Fn fn) {
  return info(fn).exact ? kParallelThreshold : kParallelThresholdSmooth;
}

}  // namespace rectify
