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

}  // namespace

std::vector<double> median_per_epoch(
    const std::vector<Run>& runs, const std::function<bool(const Run&)>& pick,
    const std::function<double(const train::EpochMetrics&)>& value) {
  std::vector<std::vector<double>> per_epoch;
  for (const auto& run : runs) {
    if (!pick(run)) continue;
    for (std::size_t e = 0; e < run.epochs.size(); ++e) {
      if (per_epoch.size() <= e) per_epoch.resize(e + 1);
      per_epoch[e].push_back(value(run.epochs[e]));
    }
  }
  std::vector<double> out;
  for (const auto& v : per_epoch) out.push_back(spread(v).median);
  return out;
}

const ActivationSummary* ComparisonSummary::find(const std::string& activation,
                                                 const RateSetting& setting) const {
  for (const auto& row : rows) {
    if (row.activation == activation && row.setting == setting) return &row;
  }
  return nullptr;
}

const ActivationSummary* ComparisonSummary::best(const std::string& activation,
                                                 const std::string& optimizer) const {
  const ActivationSummary* best = nullptr;
  for (const auto& row : rows) {
    if (row.activation != activation || row.setting.optimizer != optimizer) continue;
    const double v = std::isfinite(row.val_acc.median) ? row.val_acc.median : -1.0;
    const double b = best && std::isfinite(best->val_acc.median) ? best->val_acc.median : -1.0;
    if (!best || v > b || (v == b && row.setting.lr < best->setting.lr)) best = &row;
  }
  return best;
}

const ActivationSummary* ComparisonSummary::shared(const std::string& activation) const {
  return find(activation, shared_setting);
}

namespace {

double median(const std::vector<double>& v) {
  return spread(v).median;
}

// The figures of one run at the plan's seed `index`.
void add_run(ActivationSummary& row, const Run& run, std::size_t index) {
  auto& p = row.seeds;
  ++row.runs;
  row.diverged += run.diverged;
  const auto at = [index](std::vector<double>& v, double x) { v[index] = x; };
  if (run.epochs.empty()) {
    at(p.final_acc, kChanceAccuracy);
    at(p.first_acc, kChanceAccuracy);
    at(p.val_acc, kChanceAccuracy);
    return;
  }
  const auto& first = run.epochs.front();
  const auto& last = run.epochs.back();
  at(p.first_acc, first.test_acc);
  at(p.final_acc, run.diverged ? kChanceAccuracy : last.test_acc);
  at(p.val_acc, run.diverged ? kChanceAccuracy : last.val_acc);
  if (!run.diverged) at(p.gap, last.train_acc - last.test_acc);
  if (!first.layers.empty()) at(p.first_sparsity, first.layers[0].sparsity);
  if (!last.layers.empty() && !run.diverged) {
    at(p.sparsity, last.layers[0].sparsity);
    at(p.dead, last.layers[0].dead_fraction());
    at(p.mean_activation, last.layers[0].mean);
  }
}

}  // namespace

ComparisonSummary summarize(const LabResults& r) {
  ComparisonSummary s{.shared_setting = {r.plan.optimizer, r.plan.lr}};
  for (const auto& rate : r.plan.rates) {
    if (std::find(s.optimizers.begin(), s.optimizers.end(), rate.optimizer) == s.optimizers.end()) {
      s.optimizers.push_back(rate.optimizer);
    }
  }
  const std::size_t n = r.plan.seeds.size();
  for (const auto& a : r.plan.activations) {
    for (const auto& rate : r.plan.rates) {
      ActivationSummary row{.activation = a, .setting = rate};
      for (auto* v : {&row.seeds.final_acc, &row.seeds.first_acc, &row.seeds.val_acc,
                      &row.seeds.gap, &row.seeds.first_sparsity, &row.seeds.sparsity,
                      &row.seeds.dead, &row.seeds.mean_activation}) {
        v->assign(n, NAN);
      }
      std::vector<double> seconds;
      for (const auto& run : r.comparison) {
        if (run.activation != a || run.optimizer != rate.optimizer || run.lr != rate.lr) continue;
        const auto seed = std::find(r.plan.seeds.begin(), r.plan.seeds.end(), run.seed);
        if (seed == r.plan.seeds.end()) continue;
        add_run(row, run, static_cast<std::size_t>(seed - r.plan.seeds.begin()));
        for (const auto& e : run.epochs) seconds.push_back(e.seconds);
      }
      if (row.runs == 0) continue;  // not run: absent, rather than a row of zeros
      row.final_acc = spread(row.seeds.final_acc);
      row.val_acc = spread(row.seeds.val_acc);
      row.first_acc = median(row.seeds.first_acc);
      row.generalisation_gap = median(row.seeds.gap);
      row.first_sparsity = median(row.seeds.first_sparsity);
      row.sparsity = median(row.seeds.sparsity);
      row.dead_fraction = median(row.seeds.dead);
      row.mean_activation = median(row.seeds.mean_activation);
      row.seconds_per_epoch = mean(seconds);
      s.rows.push_back(std::move(row));
    }
  }
  std::vector<double> finals;
  for (const auto& a : r.plan.activations) {
    if (const auto* row = s.shared(a)) finals.push_back(row->final_acc.median);
  }
  if (!finals.empty()) s.target = std::floor(0.98 * median(finals) * 200.0) / 200.0;
  for (auto& row : s.rows) {
    const auto curve = median_per_epoch(
        r.comparison,
        [&](const Run& run) {
          return run.activation == row.activation && run.optimizer == row.setting.optimizer &&
                 run.lr == row.setting.lr;
        },
        [](const train::EpochMetrics& m) { return m.test_acc; });
    for (std::size_t e = 0; e < curve.size(); ++e) {
      if (curve[e] >= s.target) {
        row.epochs_to_target = static_cast<double>(e + 1);
        break;
      }
    }
  }
  return s;
}

DyingCell dying_cell(const std::vector<Run>& runs, const std::string& activation,
                     std::optional<double> lr, std::optional<double> bias,
                     const std::vector<std::uint64_t>& seeds) {
  DyingCell c;
  c.dead_per_seed.assign(seeds.size(), NAN);
  std::vector<double> dead, sparsity;
  for (const auto& run : runs) {
    if (run.activation != activation) continue;
    if (lr && run.lr != *lr) continue;
    if (bias && run.hidden_bias != *bias) continue;
    c.present = true;
    ++c.runs;
    c.diverged += run.diverged;
    if (run.epochs.empty() || run.epochs.back().layers.empty()) continue;
    const double d = run.epochs.back().layers[0].dead_fraction();
    dead.push_back(d);
    sparsity.push_back(run.epochs.back().layers[0].sparsity);
    const auto at = std::find(seeds.begin(), seeds.end(), run.seed);
    if (at != seeds.end()) c.dead_per_seed[static_cast<std::size_t>(at - seeds.begin())] = d;
  }
  c.dead_fraction = dead.empty() ? 0.0 : median(dead);
  c.sparsity = sparsity.empty() ? 0.0 : median(sparsity);
  return c;
}

double gradient_ratio(const std::vector<diag::LayerStats>& layers) {
  if (layers.size() < 2 || !(layers.back().grad_norm > 0)) return 0.0;
  return layers.front().grad_norm / layers.back().grad_norm;
}

}  // namespace rectify::lab
