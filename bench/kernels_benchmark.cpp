// Google Benchmark over the registry: every function, every pass it has, in-cache and
// memory-bound sizes, with elements/s and bytes/s counters. `rectify bench` prints the same
// cases beside copy bandwidth; this program is for Google Benchmark's tooling (filters,
// repetitions, JSON, comparisons between builds).
#include <benchmark/benchmark.h>

#include <string>

#include "rectify/rectify.hpp"
#include "rectify/timing/eltwise_bench.hpp"

namespace {

void register_all() {
  for (const auto& f : rectify::registry()) {
    const rectify::Activation a(f.fn);
    for (const auto pass : rectify::timing::kAllPasses) {
      if (!rectify::timing::supports(a, pass)) continue;
      for (const std::size_t n : {std::size_t{4096}, std::size_t{65536}, std::size_t{1} << 24}) {
        const std::string name = std::string(f.name) + "/" +
                                 std::string(rectify::timing::pass_name(pass)) + "/" +
                                 std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), [a, pass, n](benchmark::State& state) {
          rectify::set_num_threads(1);
          const rectify::timing::Workload work({a, pass, n, 1});
          for (auto _ : state) work.run_once();
          state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
          state.SetBytesProcessed(static_cast<std::int64_t>(
              static_cast<double>(state.iterations()) * work.bytes_moved()));
        });
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
