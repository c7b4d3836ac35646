#include "rectify/lab/summary.hpp"

#include <algorithm>
#include <cmath>

namespace rectify::lab {
namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double s = 0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

std::vector<double> mean_per_epoch(const std::vector<Run>& runs,
                                   const std::function<bool(const Run&)>& pick,
                                   const std::function<double(const train::EpochMetrics&)>& value) {
  std::vector<double> sum;
  std::vector<int> count;
  for (const auto& run : runs) {
    if (!pick(run)) continue;
    for (std::size_t e = 0; e < run.epochs.size(); ++e) {
      if (sum.size() <= e) {
        sum.resize(e + 1, 0.0);
        count.resize(e + 1, 0);
      }
      sum[e] += value(run.epochs[e]);
      ++count[e];
    }
  }
  for (std::size_t e = 0; e < sum.size(); ++e) sum[e] /= count[e];
  return sum;
}

const ActivationSummary* ComparisonSummary::find(const std::string& activation) const {
  for (const auto& row : rows) {
    if (row.activation == activation) return &row;
  }
  return nullptr;
}

ComparisonSummary summarize(const LabResults& r) {
  ComparisonSummary s;
  std::vector<double> finals;
  for (const auto& a : r.plan.activations) {
    std::vector<double> accs;
    for (const auto& run : r.comparison) {
      if (run.activation == a && !run.epochs.empty()) accs.push_back(run.epochs.back().test_acc);
    }
    if (!accs.empty()) finals.push_back(mean(accs));
  }
  if (!finals.empty()) {
    std::sort(finals.begin(), finals.end());
    const double median = finals[finals.size() / 2];
    s.target = std::floor(0.98 * median * 200.0) / 200.0;
  }
  for (const auto& a : r.plan.activations) {
    ActivationSummary row{.activation = a};
    std::vector<double> final_acc, first_acc, first_loss, gap, first_sparsity, sparsity, dead,
        mean_act, seconds;
    for (const auto& run : r.comparison) {
      if (run.activation != a) continue;
      ++row.runs;
      row.diverged += run.diverged;
      if (run.epochs.empty()) continue;
      const auto& first = run.epochs.front();
      const auto& last = run.epochs.back();
      final_acc.push_back(last.test_acc);
      first_acc.push_back(first.test_acc);
      first_loss.push_back(first.train_loss);
      gap.push_back(last.train_acc - last.test_acc);
      for (const auto& e : run.epochs) seconds.push_back(e.seconds);
      if (!first.layers.empty()) first_sparsity.push_back(first.layers[0].sparsity);
      if (!last.layers.empty()) {
        sparsity.push_back(last.layers[0].sparsity);
        dead.push_back(last.layers[0].dead_fraction());
        mean_act.push_back(last.layers[0].mean);
      }
    }
    if (row.runs == 0) continue;  // not run: absent, rather than a row of zeros
    row.final_acc = mean(final_acc);
    row.final_acc_sd = stddev(final_acc);
    row.first_acc = mean(first_acc);
    row.first_loss = mean(first_loss);
    const auto curve = mean_per_epoch(
        r.comparison, [&](const Run& run) { return run.activation == a; },
        [](const train::EpochMetrics& m) { return m.test_acc; });
    for (std::size_t e = 0; e < curve.size(); ++e) {
      if (curve[e] >= s.target) {
        row.epochs_to_target = static_cast<double>(e + 1);
        break;
      }
    }
    row.generalisation_gap = mean(gap);
    row.first_sparsity = mean(first_sparsity);
    row.sparsity = mean(sparsity);
    row.dead_fraction = mean(dead);
    row.mean_activation = mean(mean_act);
    row.seconds_per_epoch = mean(seconds);
    s.rows.push_back(row);
  }
  return s;
}

DyingCell dying_cell(const std::vector<Run>& runs, const std::string& activation,
                     std::optional<double> lr, std::optional<double> bias) {
  DyingCell c;
  std::vector<double> dead, sparsity;
  for (const auto& run : runs) {
    if (run.activation != activation) continue;
    if (lr && run.lr != *lr) continue;
    if (bias && run.hidden_bias != *bias) continue;
    c.present = true;
    c.diverged = c.diverged || run.diverged;
    if (run.epochs.empty() || run.epochs.back().layers.empty()) continue;
    dead.push_back(run.epochs.back().layers[0].dead_fraction());
    sparsity.push_back(run.epochs.back().layers[0].sparsity);
  }
  c.dead_fraction = mean(dead);
  c.sparsity = mean(sparsity);
  return c;
}

double gradient_ratio(const std::vector<diag::LayerStats>& layers) {
  if (layers.size() < 2 || !(layers.back().grad_norm > 0)) return 0.0;
  return layers.front().grad_norm / layers.back().grad_norm;
}

}  // namespace rectify::lab
