// The comparison study condensed to one row per function (means over seeds), shared by the
// verdicts and the report.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rectify/lab/studies.hpp"

namespace rectify::lab {

struct ActivationSummary {
  std::string activation;
  std::size_t runs = 0, diverged = 0;
  double final_acc = 0, final_acc_sd = 0;  // test accuracy after the last epoch
  double first_acc = 0;                    // test accuracy after the first epoch
  double first_loss = 0;                   // training loss of the first epoch
  // The first epoch whose test accuracy, averaged over the seeds, reaches the target; empty
  // when it never does.
  std::optional<double> epochs_to_target;
  double generalisation_gap = 0;            // train accuracy - test accuracy, last epoch
  double first_sparsity = 0, sparsity = 0;  // first hidden layer: first and last epoch
  double dead_fraction = 0, mean_activation = 0;
  double seconds_per_epoch = 0;
};

struct ComparisonSummary {
  double target = 0;  // 98% of the median final accuracy, rounded down to half a point
  std::vector<ActivationSummary> rows;  // in the plan's order, those that ran
  const ActivationSummary* find(const std::string& activation) const;
};

ComparisonSummary summarize(const LabResults& r);

// value(epoch) averaged per epoch over the runs `pick` accepts (those that reached that epoch).
std::vector<double> mean_per_epoch(const std::vector<Run>& runs,
                                   const std::function<bool(const Run&)>& pick,
                                   const std::function<double(const train::EpochMetrics&)>& value);

// The mean of a statistic of the first hidden layer over the final epochs of `runs` matching
// activation (and lr or bias when given).
struct DyingCell {
  double dead_fraction = 0, sparsity = 0;
  bool diverged = false;
  bool present = false;
};
DyingCell dying_cell(const std::vector<Run>& runs, const std::string& activation,
                     std::optional<double> lr, std::optional<double> bias);

// First hidden layer's gradient norm over the last hidden layer's: ~1 when gradients keep their
// size through depth, << 1 when they vanish on the way back.
double gradient_ratio(const std::vector<diag::LayerStats>& layers);

}  // namespace rectify::lab
