// rectify lab: the main job. Until the experiments exist it shows every function with its
// formula and a short benchmark of each on this machine.
#include <fmt/format.h>

#include "commands.hpp"
#include "rectify/bench/eltwise_bench.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

Action add_lab(CLI::App& app) {
  auto* cmd = app.add_subcommand("lab", "The main job: the functions, and what they cost here");
  auto quick = std::make_shared<bool>(false);
  cmd->add_flag("--quick", *quick, "Shorter measurements");
  return [quick] {
    fmt::print("rectify lab: {} functions, SIMD target {}, {} thread(s)\n\n", registry().size(),
               simd::current_target(), num_threads());
    fmt::print("{:<11} {:<62} {:>9} {:>9}\n", "function", "f(x)", "fwd 64K", "bwd 64K");
    fmt::print("{:<11} {:<62} {:>9} {:>9}\n", "", "", "Gelem/s", "Gelem/s");
    const bench::Options options{.min_seconds = *quick ? 0.002 : 0.01, .repetitions = 3};
    for (const auto& f : registry()) {
      const Activation a(f.fn);
      const auto fwd = bench::run({a, bench::Pass::forward, 65536, 1}, options);
      const auto bwd = bench::run({a, bench::Pass::backward, 65536, 1}, options);
      fmt::print("{:<11} {:<62} {:>9.2f} {:>9.2f}\n", f.name, f.formula, fwd.gelem_per_s,
                 bwd.gelem_per_s);
    }
    fmt::print(
        "\nOne thread, 65536 floats in cache. `rectify list` shows derivatives and "
        "parameters;\n`rectify bench` measures every pass and size against copy "
        "bandwidth.\n");
    return 0;
  };
}

}  // namespace rectify::cli
