// The lab's experiments: each trains or measures with identical seeds and hyperparameters across
// the functions it compares, and returns plain numbers; claims.hpp judges them and report.hpp
// writes them up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/diag/layer_stats.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::lab {

// Which studies a plan runs (`rectify lab --studies compare,dying,depth,cost`).
struct StudySet {
  bool compare = true, dying = true, depth = true, init = true, cnn = true, rnn = true, cost = true;
  friend bool operator==(const StudySet&, const StudySet&) = default;
};

// "compare,dying": std::invalid_argument naming an unknown study; at least one is needed.
StudySet parse_studies(const std::string& list);
std::string to_string(const StudySet& studies);

// One optimizer at one learning rate (constant: no schedule hides differences in convergence).
struct RateSetting {
  std::string optimizer;  // "sgd" (with momentum 0.9) or "adam"
  double lr = 0;
  friend bool operator==(const RateSetting&, const RateSetting&) = default;
};

// How much to run: --quick (the embedded sample), the default, or --full.
struct LabPlan {
  std::string size = "standard";  // "quick", "standard" or "full"
  StudySet studies;
  // The comparison: every function at every setting of the sweep with every seed, trained on
  // the training images less the last `validation` fraction of them, on which each function's
  // best rate per optimizer is chosen (never on the test set). `optimizer` at `lr` is the shared
  // setting (one of the sweep's), at which every function is also compared.
  std::vector<std::string> activations;
  std::vector<std::uint64_t> seeds;
  int epochs = 5;
  std::vector<RateSetting> rates;
  double validation = 1.0 / 6;  // 10000 of Fashion-MNIST's 60000
  std::string optimizer = "sgd";
  double lr = 0.01;
  // Histograms of the hidden layer's pre-activations before and after training: these
  // functions' comparison runs at the shared setting with the first seed.
  std::vector<std::string> histogram_activations;
  // Dying ReLU: the rates swept, the biases tried, the functions compared, with these seeds.
  std::vector<double> dying_lrs;
  std::vector<double> dying_biases;
  double dying_bias_lr = 0.01;
  std::vector<std::string> dying_activations;
  std::vector<std::uint64_t> dying_seeds;
  int dying_epochs = 5;
  // Depth: the 10-layer "deep" model (make_deep_mlp) with these functions.
  std::vector<std::string> depth_activations;
  int depth_epochs = 1;
  double depth_lr = 0.01;  // deep nets diverge at the comparison's rate
  std::size_t depth_probe_batches = 10;
  // Initialization: the deep model with these functions under each initializer (a name for the
  // report, the initializer, a factor on the weights), with dying_seeds, for init_epochs at
  // depth_lr; the output of each layer at initialization and whether training stays finite.
  struct InitSetting {
    std::string label, init;
    double scale = 1;
  };
  std::vector<std::string> init_activations;
  std::vector<InitSetting> init_settings;
  int init_epochs = 1;
  // The seeds' other layers: their CNN with these functions, and the ReLU RNN under each
  // setting (identity or PyTorch's uniform recurrent weights; gradients clipped or not), with
  // dying_seeds, for model_epochs on the first model_images training images, SGD at lr.
  struct RnnSetting {
    std::string label;
    bool identity_init = true;
    double max_grad_norm = 0;
  };
  std::vector<std::string> cnn_activations;
  std::vector<RnnSetting> rnn_settings;
  std::size_t model_images = 10000;
  int model_epochs = 1;
  double bench_seconds = 0.01;  // per repetition of each cost measurement
  // Threads per run. One: these small models gain nothing from a second (the GEMMs are 64
  // rows); the lab runs `jobs` runs side by side instead.
  int threads = 1;
  // Runs side by side (each on one thread; the cost study runs alone afterwards). Not part of a
  // run's key: a run gives the same bits whichever runs beside it.
  int jobs = 1;
};

// Runs side by side by default: one per core the process may use.
int default_jobs();

// The plan for a size; std::invalid_argument for an unknown size.
LabPlan make_plan(const std::string& size);

// One training run and its per-epoch metrics (diagnostics included).
// The hidden layer's pre-activations z = W x + b over 1000 test images: the fraction in each of
// kHistogramBins equal bins over [kHistogramLow, kHistogramHigh] (values outside count in the
// first or last bin).
inline constexpr double kHistogramLow = -6, kHistogramHigh = 6;
inline constexpr std::size_t kHistogramBins = 48;
inline constexpr double kHistogramWidth = (kHistogramHigh - kHistogramLow) / kHistogramBins;

struct Run {
  std::string activation;
  std::string setting;                                 // the rnn study's setting label
  std::vector<double> histogram_start, histogram_end;  // when the run kept them
  std::uint64_t seed = 0;
  std::string optimizer = "sgd";
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

struct InitRun {
  std::string activation, init_label;
  std::uint64_t seed = 0;
  std::vector<diag::LayerStats> at_init;      // per hidden layer: outputs' mean, std, ...
  std::vector<train::EpochMetrics> training;  // the epochs finished
  bool diverged = false;
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
  std::vector<InitRun> init;
  std::vector<Run> cnn, rnn;
  std::vector<CostRow> cost;
  std::string simd_target;  // of the machines that ran the jobs ("AVX2", "AVX2, AVX3")
  int threads = 1;
  double seconds = 0;       // the jobs' own time, summed
  double wall_seconds = 0;  // of the command that wrote the results (reused runs cost nothing)
  std::size_t runs = 0;     // of this command (its shard), reused ones included
  std::size_t reused = 0;   // runs found finished, not run again
};

// Called with one line per finished step ("[ 3/40] ... (1.2 s; about 50 s left)").
using LabProgress = std::function<void(const std::string&)>;

struct LabRunOptions {
  // The folder of run records (OUT/runs): a job whose record is there is not run again, a job
  // that finishes is stored there at once. Empty: nothing is kept.
  std::filesystem::path records;
  // Run only the jobs of shard `shard` of `shards` (1-based): every shards-th job of the plan.
  std::size_t shard = 1, shards = 1;
  // Asked after every batch; true stops the lab (LabInterrupted), keeping the finished runs.
  std::function<bool()> stop;
};

// The lab was asked to stop: the job under way was abandoned, the finished ones are stored.
class LabInterrupted : public std::runtime_error {
 public:
  LabInterrupted(std::size_t finished, std::size_t total);
  std::size_t finished, total;  // jobs of this invocation (its shard), cached ones included
};

// Runs the plan (the jobs of options' shard), reusing and storing records in options.records.
// With one shard, returns the results of the whole plan, read back from the records (so a lab
// that ran everything and one that merged shards see the same numbers); with more, the results
// hold only `reused` and the times. std::invalid_argument for a bad shard.
LabResults run_lab(const LabPlan& plan, const data::FashionMnist& data,
                   const LabProgress& progress = {}, const LabRunOptions& options = {});

// The results of the plan from the records of `folders` (shards' OUT/runs, in any number),
// without running anything: each job's record is copied into `records` (when not empty) and
// used. std::runtime_error naming the missing jobs and their shards (for `shards`, when known)
// when a job has no record in any folder, or when the records come from different data sets.
LabResults merge_lab(const LabPlan& plan, const std::vector<std::filesystem::path>& folders,
                     const std::filesystem::path& records, const LabProgress& progress = {});

}  // namespace rectify::lab
