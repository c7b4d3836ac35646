// The training loop: seeded shuffling, batches, forward, loss, backward, optimizer step, test
// accuracy; one metrics record per epoch, reported as it completes.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/diag/layer_stats.hpp"

namespace rectify::train {

struct TrainOptions {
  std::string model = "mlp";
  std::string activation = "relu";
  int epochs = 10;
  std::size_t batch = 64;
  std::string optimizer = "adam";
  double lr = 0;  // 0: the optimizer's default (adam 1e-3, sgd 1e-2)
  double momentum = 0.9;
  double weight_decay = 0;
  // Learning rate over the run: "constant", "step" (x0.1 at 50% and 75% of the epochs), or
  // "cosine" (from lr to 0 along half a cosine, updated every batch).
  std::string schedule = "cosine";
  std::uint64_t seed = 1;
  bool identity_init = true;  // rnn: W_hh = I (IRNN); false: PyTorch's uniform init
  double max_grad_norm = 0;   // > 0: scale the gradients down to this global L2 norm
  double dropout = 0;  // probability, before the last Linear of mlp and cnn (AlphaDropout for selu)
  // Initial bias of every layer followed by an activation (the dying-ReLU study sets it < 0).
  double hidden_bias = 0;
  // Per activation layer and epoch: dead units, sparsity, mean, gradient norm (diag/).
  bool diagnostics = true;
  std::string save;  // checkpoint written after every epoch (empty: none)
  // Where a run that is asked to stop saves when `save` is empty (empty: nowhere).
  std::string interrupt_save;
  std::string resume;  // checkpoint to continue from: its options win, except `epochs`
};

// The largest values accepted for a run, from the command line or from a checkpoint.
inline constexpr int kMaxEpochs = 100000;
inline constexpr std::size_t kMaxBatch = std::size_t{1} << 20;

// std::invalid_argument naming the first option out of its range ("batch = 0: expected 1 to
// 1048576"), or an unknown model, activation, optimizer or schedule. train() calls it, the
// checkpoint reader calls it on what a file holds, and the CLI before it opens any file.
void check_options(const TrainOptions& options);

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0, images_per_s = 0;  // the training loop only
  std::vector<diag::LayerStats> layers;  // one per activation layer, when diagnostics are on
};

// Called after every batch with (epoch, batches done, batches in the epoch, running loss).
using BatchProgress = std::function<void(int, std::size_t, std::size_t, double)>;
using EpochReport = std::function<void(const EpochMetrics&)>;
// Asked after every batch (e.g. whether Ctrl-C was pressed); true stops the run.
using StopRequest = std::function<bool()>;

// Training stopped because the loss, a gradient or a parameter became NaN or infinite. The
// message names the epoch, the batch and the layer or parameter.
class DivergedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by train() when `stop` returned true: the batch under way finished and the run was saved
// to `checkpoint` (save, else interrupt_save; empty if both are). In the middle of an epoch the
// checkpoint holds the position inside it, and resuming from it continues exactly.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int epoch, std::size_t batch, std::size_t batches, int epochs,
              std::string checkpoint);
  int epoch;            // the epoch under way, 1-based
  std::size_t batch;    // the batches of it done (== batches: the epoch completed)
  std::size_t batches;  // in an epoch
  int epochs;           // the run's total
  std::string checkpoint;
};

// Trains on data.train and evaluates on data.test after every epoch. Deterministic for a given
// seed and thread count. std::invalid_argument for bad options; DivergedError when the loss, a
// gradient or a parameter becomes NaN or infinite (nothing is saved after that step).
std::vector<EpochMetrics> train(const TrainOptions& options, const data::FashionMnist& data,
                                const BatchProgress& progress = {}, const EpochReport& report = {},
                                const StopRequest& stop = {});

std::string to_json(const EpochMetrics& m);

// The diagnostics of the untrained model: `batches` training batches (in data order) through
// forward and backward without an optimizer step. The depth study's gradient norms at init.
std::vector<diag::LayerStats> probe_untrained(const TrainOptions& options, const data::Dataset& set,
                                              std::size_t batches);

// The learning rate after `progress` (0 at the start of the run, 1 at its end) of the run.
double scheduled_lr(const std::string& schedule, double lr, double progress);

}  // namespace rectify::train
