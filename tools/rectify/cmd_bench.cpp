// rectify bench: elements/s and GB/s of each kernel, against a plain copy measured in the same run.
#include <fmt/format.h>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "rectify/rectify.hpp"
#include "rectify/timing/eltwise_bench.hpp"

namespace rectify::cli {

// Six buffers of this many floats (input, gradient, output, saved output, copy source and
// destination) are 6 GiB: beyond it a size is a typo, not a benchmark.
constexpr std::size_t kMaxSize = std::size_t{1} << 28;

Action add_bench(CLI::App& app) {
  struct Args {
    std::vector<std::string> fns, passes;
    std::vector<std::size_t> sizes;
    std::vector<int> threads{1};
    std::string target;
    std::size_t out_offset = timing::kOutOffset;
    bool json = false, quick = false, sweep = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("bench", "Benchmark the kernels against copy bandwidth");
  cmd->add_option("--fn", args->fns, "Function specs (default: every function)");
  cmd->add_option("--pass", args->passes,
                  "forward | backward | backward_output | forward_mask | backward_mask "
                  "(default: every pass the function has)");
  cmd->add_option(
         "--size", args->sizes,
         fmt::format("Elements, 1 to {} (default: 4096 65536 1048576 16777216 67108864)", kMaxSize))
      ->check(CLI::Range(std::size_t{1}, kMaxSize));
  cmd->add_option("--threads", args->threads, "Thread counts (default: 1)")
      ->check(CLI::Range(1, kMaxThreads));
  cmd->add_option("--target", args->target, "Pin a SIMD target (see `rectify info`)");
  cmd->add_option("--out-offset", args->out_offset,
                  "Output's byte offset in a 4 KiB page (x at 0, dy at 2048; default 1024)")
      ->check(CLI::Range(std::size_t{0}, timing::kPageBytes - 4));
  cmd->add_flag("--sweep-offsets", args->sweep,
                "Time a range of output offsets; report the worst and the best");
  cmd->add_flag("--json", args->json, "One JSON object per line");
  cmd->add_flag("--quick", args->quick, "Shorter measurements");
  return [args] {
    if (!args->target.empty()) simd::force_target(args->target);
    std::vector<Activation> fns;
    if (args->fns.empty()) {
      for (const auto& f : registry()) fns.emplace_back(f.fn);
    } else {
      for (const auto& s : args->fns) fns.push_back(Activation::parse(s));
    }
    std::vector<timing::Pass> passes;
    for (const auto& p : args->passes) passes.push_back(timing::parse_pass(p));
    const bool all_passes = passes.empty();
    if (all_passes) passes.assign(std::begin(timing::kAllPasses), std::end(timing::kAllPasses));
    auto sizes = args->sizes;
    if (sizes.empty()) sizes = {4096, 65536, 1 << 20, 1 << 24, 1 << 26};
    const timing::Options options{.min_seconds = args->quick ? 0.005 : 0.02,
                                  .repetitions = args->quick ? 3 : 5,
                                  .sweep_offsets = args->sweep};
    if (!args->json) {
      fmt::print("{:<12} {:<16} {:>10} {:>3} {:>8} {:>9} {:>8} {:>8} {:>7} {:>6}{}\n", "fn", "pass",
                 "size", "thr", "target", "Gelem/s", "GB/s", "copy", "ratio", "offset",
                 args->sweep ? "   best Gelem/s at  worst/best" : "");
    }
    for (const auto& a : fns) {
      for (const auto pass : passes) {
        if (!timing::supports(a, pass)) {
          if (!all_passes) {
            fmt::print(stderr, "rectify: {} has no {} pass; skipped\n", a.to_string(),
                       timing::pass_name(pass));
          }
          continue;
        }
        for (const auto size : sizes) {
          for (const int t : args->threads) {
            const auto r = [&] {
              try {
                return timing::run({a, pass, size, t, args->out_offset}, options);
              } catch (const std::bad_alloc&) {
                throw std::runtime_error(
                    fmt::format("bench: not enough memory for {} elements ({} buffers of {} MiB)",
                                size, 6, size * sizeof(float) >> 20));
              }
            }();
            if (args->json) {
              fmt::print("{}\n", timing::to_json(r));
            } else {
              fmt::print(
                  "{:<12} {:<16} {:>10} {:>3} {:>8} {:>9.2f} {:>8.1f} {:>8.1f} {:>7.2f} {:>6}",
                  a.name(), timing::pass_name(pass), size, t, r.target, r.gelem_per_s, r.gb_per_s,
                  r.copy_gb_per_s, r.ratio_to_copy, r.c.out_offset);
              if (r.swept) {
                fmt::print(" {:>14.2f} {:>3} {:>11.2f}", r.best_gelem_per_s, r.best_offset,
                           r.worst_gelem_per_s / r.best_gelem_per_s);
              }
              fmt::print("\n");
            }
            std::fflush(stdout);
          }
        }
      }
    }
    return 0;
  };
}

}  // namespace rectify::cli
