// rectify lab: the main job. Runs the studies (activation comparison, dying ReLU, depth, cost),
// judges the seeds' claims on the measurements and writes report.md and report.html.
#include <fmt/format.h>
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/lab/claims.hpp"
#include "rectify/lab/report.hpp"
#include "rectify/lab/studies.hpp"

namespace rectify::cli {

Action add_lab(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "lab", "The main job: train, measure and judge the seeds' claims; writes a report");
  struct Args {
    std::string data, out = "lab-report";
    bool quick = false, full = false;
    int threads = 1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data,
                  "Directory of Fashion-MNIST IDX files (default: /usr/share/datasets/"
                  "fashion-mnist, else the embedded sample; --quick: the sample)");
  cmd->add_option("--out", args->out, "Folder for report.md, report.html and charts/")
      ->capture_default_str();
  auto* quick = cmd->add_flag("--quick", args->quick, "The embedded sample, fewer runs (~1 min)");
  cmd->add_flag("--full", args->full, "More seeds, epochs and rates (tens of minutes)")
      ->excludes(quick);
  cmd->add_option("--threads", args->threads, "Threads for training and the kernels")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [args] {
    const std::string size = args->quick ? "quick" : args->full ? "full" : "standard";
    auto plan = lab::make_plan(size);
    plan.threads = args->threads;
    const auto data = !args->data.empty() ? data::load_fashion_mnist(args->data)
                      : args->quick       ? data::load_fashion_mnist_sample()
                                          : data::load_fashion_mnist();
    fmt::print("rectify lab ({}): {} ({} train, {} test images); report in {}/\n", size,
               data.source, data.train.count, data.test.count, args->out);
    std::fflush(stdout);
    const auto results = lab::run_lab(plan, data, [](const std::string& line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    });
    const auto claims = lab::judge_claims(results);
    std::string command = "rectify lab";
    if (size != "standard") command += " --" + size;
    const auto files = lab::write_report(results, claims, args->out, command);
    fmt::print("\nThe seeds' claims on this data ({:.0f} s):\n", results.seconds);
    for (const auto& c : claims) {
      fmt::print("  {:<14} {}\n", lab::verdict_name(c.verdict), c.statement);
    }
    fmt::print("\nReport: {}\n        {}\n", files.html, files.markdown);
    return 0;
  };
}

}  // namespace rectify::cli
