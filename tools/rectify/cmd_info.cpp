// rectify info: version, SIMD targets and threads.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

Action add_info(CLI::App& app) {
  app.add_subcommand("info", "Show the SIMD target the kernels run on, and the threads");
  return [] {
    fmt::print("rectify 0.1.0\n");
    fmt::print("SIMD target: {}\n", simd::current_target());
    fmt::print("available targets: {}\n", fmt::join(simd::available_targets(), ", "));
    fmt::print("threads: {} (spans under {} elements, {} for exp-based functions, use one)\n",
               num_threads(), kParallelThreshold, kParallelThresholdSmooth);
    return 0;
  };
}

}  // namespace rectify::cli
