// A training checkpoint: the model's parameters (named as PyTorch would: "fc1.weight"), the
// optimizer's state and where the run stands, in one safetensors file.
#pragma once

#include <filesystem>
#include <map>
#include <random>

#include "rectify/train/optimizer.hpp"
#include "rectify/train/options.hpp"
#include "rectify/train/safetensors.hpp"

namespace rectify::train {

struct RunState {
  TrainOptions options;  // what the run was started with (epochs: the total planned)
  int epochs_done = 0;
  std::mt19937_64 shuffle_rng;  // the generator that shuffles epoch epochs_done + 1
  // Inside epoch epochs_done + 1 (a run interrupted in the middle of an epoch): the batches
  // done and their loss and correct answers so far. Zero at an epoch boundary.
  std::size_t batches_done = 0;
  double epoch_loss_sum = 0;
  std::size_t epoch_correct = 0;
  // The state of layers and probes that carry one across batches, by name ("dropout.rng",
  // "probe.fc1"): exact text, restored as it was saved.
  std::map<std::string, std::string> layer_state;
};

void save_checkpoint(const std::filesystem::path& path, const std::vector<nn::Param>& params,
                     Optimizer& optimizer, const RunState& run);

// The run state stored in a checkpoint, read and validated without a model.
RunState read_run_state(const SafetensorsFile& file, const std::string& name);

// Copies the stored parameters and optimizer state into params and optimizer. CheckpointError
// when a tensor is missing, extra, or of another shape than the model's.
void restore_checkpoint(const SafetensorsFile& file, const std::string& name,
                        const std::vector<nn::Param>& params, Optimizer& optimizer);

}  // namespace rectify::train
