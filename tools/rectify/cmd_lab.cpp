// rectify lab: the main job. Runs the studies (activation comparison, dying ReLU, depth, cost),
// judges the seeds' claims on the measurements and writes report.md and report.html.
#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "commands.hpp"
#include "options.hpp"
#include "ranks.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/lab/across_ranks.hpp"
#include "rectify/lab/claims.hpp"
#include "rectify/lab/report.hpp"
#include "rectify/lab/studies.hpp"
#include "sigint.hpp"

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

// "I/N" of --shard: 1 <= I <= N <= kMaxShards.
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  constexpr std::size_t kMaxShards = 100000;
  const auto slash = text.find('/');
  std::size_t i = 0, n = 0;
  const auto whole = [](const std::string& s, std::size_t& v) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    v = std::stoul(s);
    return true;
  };
  if (slash == std::string::npos || !whole(text.substr(0, slash), i) ||
      !whole(text.substr(slash + 1), n) || n < 1 || n > kMaxShards || i < 1 || i > n) {
    throw std::invalid_argument(
        fmt::format("'{}': expected I/N with 1 <= I <= N <= {} (e.g. 2/4)", text, kMaxShards));
  }
  return {i, n};
}

// A check of an option's text by the function that reads it: its message, or none.
template <class Read>
CLI::Validator read_by(Read read, const char* what) {
  return CLI::Validator(
      [read](std::string& text) {
        try {
          read(text);
          return std::string();
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
      },
      what);
}

// A folder given to --merge: a lab's --out (its runs/ is read) or a runs/ folder itself.
std::filesystem::path runs_of(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error(fmt::format("--merge {}: not a directory", dir));
  }
  const auto runs = fs::path(dir) / "runs";
  return fs::is_directory(runs, ec) ? runs : fs::path(dir);
}

}  // namespace

Action add_lab(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "lab", "The main job: train, measure and judge the seeds' claims; writes a report");
  struct Args {
    std::string data, out = "lab-report", shard, studies = "compare,dying,depth,init,cnn,rnn,cost";
    std::vector<std::string> merge;
    bool quick = false, full = false;
    int threads = 1, jobs = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data,
                  "Directory of Fashion-MNIST IDX files (default: /usr/share/datasets/"
                  "fashion-mnist, else the embedded sample; --quick: the sample)")
      ->check(kNonEmpty);
  cmd->add_option("--out", args->out,
                  "Folder for report.md, report.html, charts/ and runs/ (each finished run, "
                  "reused by the next lab with the same plan)")
      ->capture_default_str()
      ->check(kNonEmpty);
  auto* quick = cmd->add_flag("--quick", args->quick, "The embedded sample, fewer runs (~10 s)");
  cmd->add_flag("--full", args->full, "More seeds, epochs and rates (tens of minutes)")
      ->excludes(quick);
  cmd->add_option("--threads", args->threads, "Threads for training and the kernels")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxThreads));
  cmd->add_option("--jobs", args->jobs,
                  "Runs side by side, each on one thread (default: one per core with --threads "
                  "1; the cost study always runs alone)")
      ->check(CLI::Range(1, kMaxThreads));
  cmd->add_option("--studies", args->studies,
                  "Which studies to run: compare, dying, depth, init, cnn, rnn, cost")
      ->capture_default_str()
      ->check(read_by(lab::parse_studies, "LIST"));
  auto* shard = cmd->add_option("--shard", args->shard,
                                "Run only shard I of N (every N-th run of the plan) into "
                                "OUT/runs, for a scheduler to split the plan; no report")
                    ->check(read_by(parse_shard, "I/N"));
  cmd->add_option("--merge", args->merge,
                  "Write the report from the runs of these folders (the shards' --out), "
                  "running nothing")
      ->expected(1, 4096)
      ->excludes(shard)
      ->check(kNonEmpty);
  return [args] {
    const std::string size = args->quick ? "quick" : args->full ? "full" : "standard";
    auto plan = lab::make_plan(size);
    plan.threads = args->threads;
    plan.studies = lab::parse_studies(args->studies);
    if (args->jobs > 1 && args->threads > 1) {
      throw std::invalid_argument(
          "--jobs and --threads: runs side by side take one thread each; give one of them");
    }
    plan.jobs = args->jobs > 0 ? args->jobs : args->threads > 1 ? 1 : lab::default_jobs();
    // The command that gives this plan (not where its runs came from): the report says it.
    std::string command = "rectify lab";
    if (size != "standard") command += " --" + size;
    if (args->threads != 1) command += fmt::format(" --threads {}", args->threads);
    if (plan.studies != lab::StudySet{}) command += " --studies " + lab::to_string(plan.studies);
    lab::LabRunOptions run{.records = std::filesystem::path(args->out) / "runs"};
    if (!args->shard.empty()) std::tie(run.shard, run.shards) = parse_shard(args->shard);
    // Under mpirun: each rank runs a shard, rank 0 gathers the runs and writes the report. A run
    // can take minutes, so a rank waits for the others without a time limit (mpirun ends the job
    // when a rank dies).
    auto* ranks = join_ranks(0);
    train::Team* team = ranks != nullptr && ranks->team().size() > 1 ? &ranks->team() : nullptr;
    if (team != nullptr && (!args->shard.empty() || !args->merge.empty())) {
      throw std::invalid_argument(
          "--shard and --merge run as one process: under mpirun the ranks are the shards");
    }
    const bool rank0 = team == nullptr || team->rank() == 0;
    if (team != nullptr && args->jobs == 0 && args->threads <= 1) {
      plan.jobs = default_rank_threads(*ranks);
    }
    std::vector<std::filesystem::path> merge_from;
    for (const auto& dir : args->merge) merge_from.push_back(runs_of(dir));
    check_output_dir(args->out);
    const std::string rank_prefix = rank0 ? "" : fmt::format("rank {}: ", team->rank());
    const auto print_line = [&rank_prefix](const std::string& line) {
      fmt::print("{}{}\n", rank_prefix, line);
      std::fflush(stdout);
    };

    lab::LabResults results;
    if (!merge_from.empty()) {
      fmt::print("rectify lab ({}): merging the runs of {} folder(s); report in {}/\n", size,
                 merge_from.size(), args->out);
      results = lab::merge_lab(plan, merge_from, run.records, print_line);
    } else {
      const auto data = !args->data.empty() ? data::load_fashion_mnist(args->data)
                        : args->quick       ? data::load_fashion_mnist_sample()
                                            : data::load_fashion_mnist();
      if (rank0) {
        fmt::print("rectify lab ({}{}): {} ({} train, {} test images); {} in {}/\n", size,
                   run.shards > 1 ? fmt::format(", shard {}/{}", run.shard, run.shards)
                   : team != nullptr
                       ? fmt::format(", {} ranks x {} runs side by side", team->size(), plan.jobs)
                       : "",
                   data.source, data.train.count, data.test.count,
                   run.shards > 1 ? "runs" : "report", args->out);
        std::fflush(stdout);
      }
      SigintGuard signals;
      run.stop = [&signals] { return signals.raised() != 0; };
      try {
        results = team != nullptr ? lab::run_lab_across(plan, data, print_line, run, *team)
                                  : lab::run_lab(plan, data, print_line, run);
      } catch (const lab::LabInterrupted& e) {
        // Under mpirun every rank stops; a rank the signal did not reach ends as if it had.
        const int sig = signals.raised() != 0 ? signals.raised() : team ? SIGTERM : 0;
        if (!rank0) return 128 + sig;
        fmt::print(stderr,
                   "rectify lab: interrupted{}; {} of {} runs are finished and kept in {}\n"
                   "To resume, run the same command again: finished runs are not run again.\n",
                   sig == SIGTERM ? " by SIGTERM" : "", e.finished, e.total, run.records.string());
        // 128 + the signal, as a shell reports a process the signal ended (130 for Ctrl-C).
        return 128 + (sig != 0 ? sig : SIGINT);
      }
      if (run.shards > 1) {
        fmt::print(
            "\nShard {}/{}: {} runs ({} reused) in {}.\nWhen every shard is done: {} --merge "
            "FOLDER... (each shard's --out) --out REPORT_FOLDER\n",
            run.shard, run.shards, results.runs, results.reused, run.records.string(), command);
        return 0;
      }
      if (!rank0) return 0;  // rank 0 writes the report
    }
    const auto claims = lab::judge_claims(results);
    const auto files = lab::write_report(results, claims, args->out, command);
    fmt::print("\nThe seeds' claims on this data ({:.0f} s; {} runs reused):\n",
               results.wall_seconds, results.reused);
    for (const auto& c : claims) {
      fmt::print("  {:<14} {}\n", lab::verdict_name(c.verdict), c.statement);
    }
    fmt::print("\nReport: {}\n        {}\n", files.html, files.markdown);
    return 0;
  };
}

}  // namespace rectify::cli
