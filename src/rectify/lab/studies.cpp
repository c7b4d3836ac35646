#include "rectify/lab/studies.hpp"

#include <fmt/format.h>
#include <chrono>
#include <stdexcept>

#include "rectify/act/registry.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/act/threads.hpp"
#include "rectify/timing/eltwise_bench.hpp"

namespace rectify::lab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts the steps of the plan so progress can say "[ 3/40]".
class Steps {
 public:
  Steps(std::size_t total, const LabProgress& progress) : total_(total), progress_(progress) {}
  void done(const std::string& what) {
    ++done_;
    if (progress_) progress_(fmt::format("[{:>3}/{}] {}", done_, total_, what));
  }

 private:
  std::size_t total_, done_ = 0;
  const LabProgress& progress_;
};

train::TrainOptions base_options(const LabPlan& plan) {
  train::TrainOptions o;
  o.model = "mlp";
  o.epochs = plan.epochs;
  o.optimizer = plan.optimizer;
  o.lr = plan.lr;
  o.momentum = 0.9;
  o.schedule = "constant";
  return o;
}

// Trains and keeps every finished epoch; a run that diverges keeps the epochs before it.
Run train_run(const train::TrainOptions& o, const data::FashionMnist& data) {
  Run run{.activation = o.activation, .seed = o.seed, .lr = o.lr, .hidden_bias = o.hidden_bias};
  try {
    train::train(o, data, {}, [&](const train::EpochMetrics& m) { run.epochs.push_back(m); });
  } catch (const std::runtime_error& e) {
    run.diverged = true;
    run.error = e.what();
  }
  return run;
}

std::string summary(const Run& r) {
  if (r.epochs.empty()) return "diverged in the first epoch";
  const auto& last = r.epochs.back();
  std::string s = fmt::format("test acc {:.3f} after {} epochs", last.test_acc, last.epoch);
  if (!last.layers.empty()) {
    s += fmt::format(", {} of {} units dead", last.layers[0].dead, last.layers[0].units);
  }
  return r.diverged ? s + " (then diverged)" : s;
}

}  // namespace

LabPlan make_plan(const std::string& size) {
  LabPlan p;
  p.size = size;
  for (const auto& f : registry()) p.activations.emplace_back(f.name);  // the comparison: all
  p.dying_activations = {"relu", "leaky_relu", "elu", "prelu"};
  p.depth_activations = {"relu", "leaky_relu", "elu", "selu", "tanh", "sigmoid"};
  if (size == "quick") {
    p.seeds = {1, 2};
    p.epochs = 3;
    p.dying_lrs = {0.01, 0.5};
    p.dying_biases = {0, -3};
    p.dying_epochs = 3;
    p.depth_probe_batches = 5;
    p.bench_seconds = 0.002;
  } else if (size == "standard") {
    p.seeds = {1, 2};
    p.epochs = 5;
    p.dying_lrs = {0.01, 0.1, 0.5};
    p.dying_biases = {0, -1, -3};
  } else if (size == "full") {
    p.seeds = {1, 2, 3, 4, 5};
    p.epochs = 10;
    p.dying_lrs = {0.003, 0.01, 0.03, 0.1, 0.3, 0.5};
    p.dying_biases = {0, -0.5, -1, -2, -3};
    p.dying_epochs = 10;
    p.depth_epochs = 3;
    p.bench_seconds = 0.02;
  } else {
    throw std::invalid_argument(
        fmt::format("unknown lab size '{}'; known: quick, standard, full", size));
  }
  return p;
}

LabResults run_lab(const LabPlan& plan, const data::FashionMnist& data,
                   const LabProgress& progress) {
  const auto start = Clock::now();
  if (plan.threads > 0) set_num_threads(plan.threads);
  LabResults r{.plan = plan,
               .data_source = data.source,
               .train_count = data.train.count,
               .test_count = data.test.count,
               .simd_target = simd::current_target(),
               .threads = num_threads()};
  Steps steps(
      plan.activations.size() * plan.seeds.size() +
          plan.dying_activations.size() * (plan.dying_lrs.size() + plan.dying_biases.size()) +
          plan.depth_activations.size() + plan.activations.size(),
      progress);

  // 1. Every function in the seeds' MLP, the same seeds and hyperparameters.
  for (const auto& a : plan.activations) {
    for (const auto seed : plan.seeds) {
      auto o = base_options(plan);
      o.activation = a;
      o.seed = seed;
      const auto t = Clock::now();
      r.comparison.push_back(train_run(o, data));
      steps.done(fmt::format("compare {} seed {}: {} ({:.1f} s)", a, seed,
                             summary(r.comparison.back()), seconds_since(t)));
    }
  }

  // 2. Dying ReLU: a learning-rate sweep, then negative initial biases at a safe rate.
  for (const auto& a : plan.dying_activations) {
    for (const double lr : plan.dying_lrs) {
      auto o = base_options(plan);
      o.activation = a;
      o.epochs = plan.dying_epochs;
      o.lr = lr;
      const auto t = Clock::now();
      r.dying_lr.push_back(train_run(o, data));
      steps.done(fmt::format("dying {} lr {}: {} ({:.1f} s)", a, lr, summary(r.dying_lr.back()),
                             seconds_since(t)));
    }
    for (const double bias : plan.dying_biases) {
      auto o = base_options(plan);
      o.activation = a;
      o.epochs = plan.dying_epochs;
      o.lr = plan.dying_bias_lr;
      o.hidden_bias = bias;
      const auto t = Clock::now();
      r.dying_bias.push_back(train_run(o, data));
      steps.done(fmt::format("dying {} bias {}: {} ({:.1f} s)", a, bias,
                             summary(r.dying_bias.back()), seconds_since(t)));
    }
  }

  // 3. Depth: gradient norms per layer of a deep MLP, untrained and after training.
  for (const auto& a : plan.depth_activations) {
    auto o = base_options(plan);
    o.model = "deep";
    o.lr = plan.depth_lr;
    o.activation = a;
    o.epochs = plan.depth_epochs;
    const auto t = Clock::now();
    DepthRun d{.activation = a,
               .at_init = train::probe_untrained(o, data.train, plan.depth_probe_batches)};
    d.training = train_run(o, data).epochs;
    r.depth.push_back(std::move(d));
    steps.done(
        fmt::format("depth {}: gradient norms of 10 layers ({:.1f} s)", a, seconds_since(t)));
  }

  // 4. Cost of the kernels themselves, one thread, in cache.
  const timing::Options bench_options{.min_seconds = plan.bench_seconds, .repetitions = 3};
  for (const auto& a : plan.activations) {
    const auto act = Activation::parse(a);
    CostRow row{.activation = a};
    row.forward_ns =
        1e9 * timing::run({act, timing::Pass::forward, 65536, 1}, bench_options).seconds / 65536;
    if (timing::supports(act, timing::Pass::backward)) {
      row.backward_ns =
          1e9 * timing::run({act, timing::Pass::backward, 65536, 1}, bench_options).seconds / 65536;
    }
    r.cost.push_back(row);
    steps.done(fmt::format("cost {}: {:.3f} ns per element forward", a, row.forward_ns));
  }
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace rectify::lab
