// Where a second thread starts to pay: each kernel over n elements on one thread, and split in
// two halves on two OpenMP threads (always split, whatever the library's threshold), for sizes
// around the thresholds in src/rectify/act/threads.hpp. Prints Gelem/s and the speed-up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <vector>

#include "rectify/rectify.hpp"

namespace {

// Best seconds per call over a few repetitions, each long enough to time.
double seconds_per_call(const rectify::Activation& a, std::span<const float> x, std::span<float> y,
                        int threads) {
  const std::size_t n = x.size();
  const std::size_t half = (n / 2 + 63) / 64 * 64;
  const int calls = static_cast<int>(std::max<std::size_t>(1, 20'000'000 / n));
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < calls; ++c) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int p = 0; p < threads; ++p) {
        const std::size_t b = threads == 1 ? 0 : std::min(n, p * half);
        const std::size_t e = threads == 1 ? n : std::min(n, b + half);
        rectify::forward(a, x.subspan(b, e - b), y.subspan(b, e - b));
      }
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - start;
    best = std::min(best, dt.count() / calls);
  }
  return best;
}

}  // namespace

int main() {
  rectify::set_num_threads(1);  // each call itself stays on its thread
  std::printf("%-10s %9s %12s %12s %8s\n", "fn", "n", "1 thread", "2 threads", "2t/1t");
  for (const char* spec : {"relu", "elu", "gelu_tanh"}) {
    const auto a = rectify::Activation::parse(spec);
    for (std::size_t n = 1024; n <= (std::size_t{1} << 20); n *= 2) {
      std::vector<float> x(n), y(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i % 17) - 8.0f;
      const double one = seconds_per_call(a, x, y, 1), two = seconds_per_call(a, x, y, 2);
      std::printf("%-10s %9zu %9.2f G/s %9.2f G/s %7.2fx\n", spec, n,
                  static_cast<double>(n) / one / 1e9, static_cast<double>(n) / two / 1e9,
                  one / two);
    }
  }
  return 0;
}
