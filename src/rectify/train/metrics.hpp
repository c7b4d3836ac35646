// The metrics record of one epoch: what train() reports, and the JSON line of
// `rectify train --json-log` that `rectify plot --log` reads back. The field names are written
// once (metrics.cpp) for both directions.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/diag/layer_stats.hpp"

namespace rectify::train {

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  // On the validation images held out of the training set (data::hold_out); NaN without them.
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double val_acc = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0, images_per_s = 0;  // the training loop only
  // A data-parallel run (ranks > 1): rank 0's time blocked waiting for the other ranks in the
  // epoch's training loop, and the bytes it sent per step.
  int ranks = 1;
  double comm_wait_seconds = 0, comm_bytes_per_step = 0;
  // FNV-1a of every parameter's bytes at the end of the epoch (not in the JSON line): the same on
  // every rank of a data-parallel run (checked), and from run to run of the same setup.
  std::uint64_t parameter_digest = 0;
  std::vector<diag::LayerStats> layers;  // one per activation layer, when diagnostics are on
};

// One JSON object on one line: epoch, train_loss, train_acc, test_loss, test_acc, val_loss and
// val_acc (only when there is a validation set: val_acc is not NaN), seconds,
// images_per_s, ranks, comm_wait_seconds and comm_bytes_per_step (only when ranks > 1) and, when
// there are any, "layers" (name, units, dead, dead_fraction, died, revived, sparsity, mean, std,
// grad_norm). NaN and infinities are written as null.
std::string to_json(const EpochMetrics& m);

// A line that is not a metrics record; the message names the field ("no \"test_acc\"").
class MetricsFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a line to_json wrote (null reads as NaN). The epoch, the losses, the accuracies and each
// layer's name, units, dead and sparsity are required; the other fields may be absent (logs of
// older versions), and leave their defaults. "dead_fraction" is not read: it is dead / units.
EpochMetrics parse_metrics(std::string_view line);

}  // namespace rectify::train
