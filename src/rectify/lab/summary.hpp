// The comparison study condensed to one row per function and setting (medians over seeds, and
// the per-seed figures that paired tests compare), shared by the verdicts and the report.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rectify/lab/stats.hpp"
#include "rectify/lab/studies.hpp"

namespace rectify::lab {

// A run that diverged counts at chance accuracy (10 classes) from the epoch it diverged in: a
// rate at which a function diverges loses the sweep, and a comparison counts it as a loss.
inline constexpr double kChanceAccuracy = 0.1;

// A run's test accuracy after its last epoch; chance when it diverged or finished none.
inline double final_test_accuracy(const Run& run) {
  return run.diverged || run.epochs.empty() ? kChanceAccuracy : run.epochs.back().test_acc;
}

// One function at one setting (optimizer, rate) of the comparison, over its seeds.
struct ActivationSummary {
  std::string activation;
  RateSetting setting;
  std::size_t runs = 0, diverged = 0;
  // One value per seed, in the plan's seed order (NaN where there is none): what paired tests
  // compare.
  struct PerSeed {
    std::vector<double> final_acc, first_acc, val_acc, gap, first_sparsity, sparsity, dead,
        mean_activation;
  } seeds;
  Spread final_acc;  // test accuracy after the last epoch: median, lowest, highest
  Spread val_acc;    // validation accuracy after the last epoch (chooses the best rate)
  // Medians over the seeds:
  double first_acc = 0;  // test accuracy after the first epoch
  // The first epoch whose median test accuracy reaches the target; empty when none does.
  std::optional<double> epochs_to_target;
  double generalisation_gap = 0;            // train accuracy - test accuracy, last epoch
  double first_sparsity = 0, sparsity = 0;  // first hidden layer: first and last epoch
  double dead_fraction = 0, mean_activation = 0;
  double seconds_per_epoch = 0;
};

struct ComparisonSummary {
  // 98% of the median final accuracy at the shared setting, rounded down to half a point.
  double target = 0;
  std::vector<std::string> optimizers;  // of the sweep, in its order
  RateSetting shared_setting;
  std::vector<ActivationSummary> rows;  // every function (plan order) x setting that ran
  const ActivationSummary* find(const std::string& activation, const RateSetting& s) const;
  // The function's setting with this optimizer whose median validation accuracy is highest
  // (the lower rate on a tie).
  const ActivationSummary* best(const std::string& activation, const std::string& optimizer) const;
  const ActivationSummary* shared(const std::string& activation) const;
};

ComparisonSummary summarize(const LabResults& r);

// value(epoch) per epoch: the median over the runs `pick` accepts (those that reached that
// epoch).
std::vector<double> median_per_epoch(
    const std::vector<Run>& runs, const std::function<bool(const Run&)>& pick,
    const std::function<double(const train::EpochMetrics&)>& value);

// A statistic of the first hidden layer in the final epochs of the `runs` matching activation
// (and lr or bias when given): medians over the seeds, and per seed (NaN where a run diverged
// before its first epoch ended) in the order of `seeds`.
struct DyingCell {
  double dead_fraction = 0, sparsity = 0;  // medians
  std::vector<double> dead_per_seed;
  std::size_t diverged = 0, runs = 0;
  bool present = false;
};
DyingCell dying_cell(const std::vector<Run>& runs, const std::string& activation,
                     std::optional<double> lr, std::optional<double> bias,
                     const std::vector<std::uint64_t>& seeds = {});

// First hidden layer's gradient norm over the last hidden layer's: ~1 when gradients keep their
// size through depth, << 1 when they vanish on the way back.
double gradient_ratio(const std::vector<diag::LayerStats>& layers);

}  // namespace rectify::lab
