// The training loop: seeded shuffling, batches, forward, loss, backward, optimizer step, test
// accuracy; one metrics record per epoch, reported as it completes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/diag/layer_stats.hpp"
#include "rectify/train/metrics.hpp"
#include "rectify/train/options.hpp"
#include "rectify/train/team.hpp"

namespace rectify::train {

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

// The same on every rank of `team` (data parallelism), each with the same options and data. Rank
// 0's initial parameters (or the checkpoint it reads) go to every rank; each global batch of
// options.batch images is split into contiguous shares (share_of: the first batch % ranks ranks
// take one image more); the gradients, scaled so that they add up to the global batch's mean,
// are summed over the ranks in buckets of `bucket_bytes` (GradientSync) while backward runs, so
// every rank takes the same step and holds the same parameters, bit for bit. The loss, the
// accuracies (each rank evaluates a share of the test set) and the diagnostics are summed over
// the ranks; a stop asked on any rank stops every rank after the same batch. Only rank 0 writes
// checkpoints. Reproducible for a seed, a rank count and a thread count. Dropout draws its masks
// per rank; a run with dropout resumed in the middle of an epoch on several ranks continues
// with rank 0's masks on every rank (not the uninterrupted run's). TeamError when a rank stops
// answering.
std::vector<EpochMetrics> train(const TrainOptions& options, const data::FashionMnist& data,
                                const BatchProgress& progress, const EpochReport& report,
                                const StopRequest& stop, Team& team, std::size_t bucket_bytes);

// The diagnostics of the untrained model: `batches` training batches (in data order) through
// forward and backward without an optimizer step. The depth study's gradient norms at init.
std::vector<diag::LayerStats> probe_untrained(const TrainOptions& options, const data::Dataset& set,
                                              std::size_t batches);

// The pre-activations z = W x + b of the model's first layer (an MLP's fc1, which an activation
// follows) for the first `images` images of `set`, images x units row-major: of the untrained
// model the options build, or of the weights a checkpoint stores (the end of a run). The lab's
// histograms: where an activation's zeros come from. std::invalid_argument for a model whose
// first layer is not fully connected (cnn, rnn); CheckpointError for a checkpoint without fc1.
std::vector<float> first_layer_preactivations(const TrainOptions& options, const data::Dataset& set,
                                              std::size_t images,
                                              const std::filesystem::path& checkpoint = {});

// The learning rate after `progress` (0 at the start of the run, 1 at its end) of the run.
double scheduled_lr(const std::string& schedule, double lr, double progress);

}  // namespace rectify::train
