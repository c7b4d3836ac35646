// rectify lab: the main job. Runs the studies (activation comparison, dying ReLU, depth, cost),
// judges the seeds' claims on the measurements and writes report.md and report.html.
#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "commands.hpp"
#include "options.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/lab/claims.hpp"
#include "rectify/lab/report.hpp"
#include "rectify/lab/studies.hpp"

namespace rectify::cli {
namespace {

// The report directory is made and tried before the runs, not after them: a file is created in
// it and removed again.
void check_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("--out {}: cannot create: {}", dir, ec.message()));
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error(fmt::format("--out {}: not a directory", dir));
  }
  const auto probe = fs::path(dir) / ".rectify-write-test";
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (f == nullptr || std::fclose(f) != 0) {
    throw std::runtime_error(
        fmt::format("--out {}: cannot write there: {}", dir, std::strerror(errno)));
  }
  fs::remove(probe, ec);
}

}  // namespace

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
                  "fashion-mnist, else the embedded sample; --quick: the sample)")
      ->check(kNonEmpty);
  cmd->add_option("--out", args->out, "Folder for report.md, report.html and charts/")
      ->capture_default_str()
      ->check(kNonEmpty);
  auto* quick = cmd->add_flag("--quick", args->quick, "The embedded sample, fewer runs (~1 min)");
  cmd->add_flag("--full", args->full, "More seeds, epochs and rates (tens of minutes)")
      ->excludes(quick);
  cmd->add_option("--threads", args->threads, "Threads for training and the kernels")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxThreads));
  return [args] {
    check_output_dir(args->out);
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
