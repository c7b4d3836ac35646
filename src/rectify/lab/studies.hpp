// The lab's experiments: each trains or measures with identical seeds and hyperparameters across
// the functions it compares, and returns plain numbers; claims.hpp judges them and report.hpp
// writes them up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/diag/layer_stats.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::lab {

// How much to run: --quick (the embedded sample), the default, or --full.
struct LabPlan {
  std::string size = "standard";         // "quick", "standard" or "full"
  std::vector<std::string> activations;  // the comparison study's functions
  std::vector<std::uint64_t> seeds;
  int epochs = 5;
  // The comparison and depth studies: SGD with momentum, constant rate (no schedule hides
  // differences in convergence speed).
  std::string optimizer = "sgd";
  double lr = 0.01;
  // Dying ReLU: the rates swept, the biases tried, the functions compared.
  std::vector<double> dying_lrs;
  std::vector<double> dying_biases;
  double dying_bias_lr = 0.01;
  std::vector<std::string> dying_activations;
  int dying_epochs = 5;
  // Depth: the 10-layer "deep" model (make_deep_mlp) with these functions.
  std::vector<std::string> depth_activations;
  int depth_epochs = 1;
  double depth_lr = 0.01;  // deep nets diverge at the comparison's rate
  std::size_t depth_probe_batches = 10;
  double bench_seconds = 0.01;  // per repetition of each cost measurement
  // One thread: these small models gain nothing from a second (the GEMMs are 64 rows), and a
  // busy machine makes spinning OpenMP workers many times slower.
  int threads = 1;
};

// The plan for a size; std::invalid_argument for an unknown size.
LabPlan make_plan(const std::string& size);

// One training run and its per-epoch metrics (diagnostics included).
struct Run {
  std::string activation;
  std::uint64_t seed = 0;
  double lr = 0, hidden_bias = 0;
  std::vector<train::EpochMetrics> epochs;  // those finished
  bool diverged = false;                    // the loss became NaN or infinite
  std::string error;
};

struct DepthRun {
  std::string activation;
  std::vector<diag::LayerStats> at_init;      // gradient norms of the untrained model
  std::vector<train::EpochMetrics> training;  // after each epoch
};

struct CostRow {
  std::string activation;
  double forward_ns = 0, backward_ns = 0;  // per element, one thread, 64K floats in cache
};

struct LabResults {
  LabPlan plan;
  std::string data_source;
  std::size_t train_count = 0, test_count = 0;
  std::vector<Run> comparison;  // activation x seed
  std::vector<Run> dying_lr;    // activation x rate
  std::vector<Run> dying_bias;  // activation x bias
  std::vector<DepthRun> depth;
  std::vector<CostRow> cost;
  std::string simd_target;
  int threads = 1;
  double seconds = 0;
};

// Called with one line per finished step ("[ 3/40] ...").
using LabProgress = std::function<void(const std::string&)>;

LabResults run_lab(const LabPlan& plan, const data::FashionMnist& data,
                   const LabProgress& progress = {});

}  // namespace rectify::lab
