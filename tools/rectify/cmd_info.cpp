// rectify info: version, SIMD targets, threads, the BLAS kernels and MPI.
#include <cblas.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "rectify/dist/session.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

Action add_info(CLI::App& app) {
  app.add_subcommand("info", "Show the SIMD target the kernels run on, the threads and the BLAS");
  return [] {
    fmt::print("rectify 0.1.0\n");
    fmt::print("SIMD target: {}\n", simd::current_target());
    fmt::print("available targets: {}\n", fmt::join(simd::available_targets(), ", "));
    fmt::print("threads: {} (spans under {} elements, {} for exp-based functions, use one)\n",
               num_threads(), kParallelThreshold, kParallelThresholdSmooth);
    // The GEMMs' speed depends on the kernels OpenBLAS picked (the CPU, or OPENBLAS_CORETYPE).
    fmt::print("BLAS: {}, core {}, {} thread(s), {}\n", openblas_get_config(),
               openblas_get_corename(), openblas_get_num_threads(),
               openblas_get_parallel() == 2 ? "on rectify's OpenMP threads"
                                            : "WARNING: a thread pool of its own (not the OpenMP "
                                              "build): a second thread may slow training down");
    fmt::print("MPI: {}{}\n", dist::library_version(),
               dist::available() ? " (mpirun -np N rectify train|lab)" : "");
    return 0;
  };
}

}  // namespace rectify::cli
