// The one thread pool: rectify's loops and OpenBLAS's GEMMs (its OpenMP build) all run on
// OpenMP's threads. Internal; not installed.
#pragma once

#include <omp.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "rectify/act/threads.hpp"

namespace rectify::detail {

// Threads for `work` units when each thread should get at least `grain` of them: 1 inside a
// parallel region already (the caller's region has the cores), at most num_threads().
inline std::size_t threads_for(std::size_t work, std::size_t grain) {
  if (omp_in_parallel()) return 1;
  const auto most = static_cast<std::size_t>(num_threads());
  return std::clamp<std::size_t>(grain == 0 ? most : work / grain, 1, most);
}

// Whether the pool's threads get their cores. A thread that starts a region late, or keeps the
// others waiting at its end, has lost its core to another process; every region then waits for
// it, a scheduler time slice (milliseconds) each time. After such a region the next regions run
// on the calling thread alone, four times as many after each late region (up to kMaxSkipped, then
// one region in that many checks whether the cores came back); each prompt region halves the
// count. Which thread runs a task never changes a result, so this changes speed only.
class PoolHealth {
 public:
  static constexpr std::int64_t kLateNs = 500'000;  // a wake-up takes under 0.1 ms here
  static constexpr int kFirstSkipped = 64, kMaxSkipped = 4096;

  // True when this region should run on the calling thread alone.
  bool backing_off() {
    if (skip_.load(std::memory_order_relaxed) <= 0) return false;
    return skip_.fetch_sub(1, std::memory_order_relaxed) > 0;
  }
  // A region ran; lateness_ns: how late its latest thread began, or how long it kept the
  // others waiting at the end beyond a healthy tail.
  void record(std::int64_t lateness_ns) {
    if (lateness_ns < kLateNs) {
      run_.store(run_.load(std::memory_order_relaxed) / 2, std::memory_order_relaxed);
      return;
    }
    const int run =
        std::clamp(4 * run_.load(std::memory_order_relaxed), kFirstSkipped, kMaxSkipped);
    run_.store(run, std::memory_order_relaxed);
    skip_.store(run, std::memory_order_relaxed);
  }

 private:
  std::atomic<int> skip_{0}, run_{0};
};

inline PoolHealth& pool_health() {
  static PoolHealth health;
  return health;
}

// body(task, thread) for every task in [0, tasks) on up to `threads` threads (thread < threads
// indexes per-thread scratch). Tasks are handed out one at a time as threads free up, so a
// thread that lost its core takes fewer of them. Results must not depend on which thread ran a
// task: each task writes its own output. body must not throw.
template <class Body>
void for_each_task(std::size_t tasks, std::size_t threads, const Body& body) {
  threads = std::min(threads, tasks);
  if (threads <= 1 || pool_health().backing_off()) {
    for (std::size_t t = 0; t < tasks; ++t) body(t, std::size_t{0});
    return;
  }
  using Clock = std::chrono::steady_clock;
  const auto ns_since = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
  };
  const auto start = Clock::now();
  std::atomic<std::size_t> next{0};
  std::atomic<std::int64_t> latest_start{0};
  Clock::time_point caller_done;
  std::int64_t caller_tasks = 0;
#pragma omp parallel num_threads(static_cast <int>(threads))
  {
    const std::int64_t begun = ns_since(start);
    std::int64_t seen = latest_start.load(std::memory_order_relaxed);
    while (begun > seen && !latest_start.compare_exchange_weak(seen, begun)) {
    }
    const auto thread = static_cast<std::size_t>(omp_get_thread_num());
    for (std::size_t t = next++; t < tasks; t = next++) {
      body(t, thread);
      if (thread == 0) ++caller_tasks;
    }
    if (thread == 0) caller_done = Clock::now();
  }
  // Late: a thread that began late, or a wait at the end longer than the tail a healthy region
  // has (the others' last tasks: four times the caller's mean task, for tasks of uneven size).
  const std::int64_t caller_busy =
      std::chrono::duration_cast<std::chrono::nanoseconds>(caller_done - start).count();
  const std::int64_t wait =
      ns_since(caller_done) - 4 * caller_busy / std::max<std::int64_t>(caller_tasks, 1);
  pool_health().record(std::max(latest_start.load(std::memory_order_relaxed), wait));
}

// body(begin, end) over contiguous pieces of [0, n), one per thread; pieces start at multiples
// of 64 so that mask bytes are never shared between threads. n below `threshold` runs inline on
// the calling thread.
template <class Body>
void parallel_for(std::size_t n, std::size_t threshold, const Body& body) {
  const std::size_t threads = n < threshold ? 1 : threads_for(n, 1);
  if (threads <= 1) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t step = ((n + threads - 1) / threads + 63) / 64 * 64;
  for_each_task(threads, threads, [&](std::size_t p, std::size_t) {
    const std::size_t begin = std::min(n, p * step);
    const std::size_t end = std::min(n, begin + step);
    if (begin < end) body(begin, end);
  });
}

}  // namespace rectify::detail
