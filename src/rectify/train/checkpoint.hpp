// A training checkpoint: the model's parameters (named as PyTorch would: "fc1.weight"), the
// optimizer's state and where the run stands, in one safetensors file.
#pragma once

#include <filesystem>
#include <random>

#include "rectify/train/optimizer.hpp"
#include "rectify/train/safetensors.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {

struct RunState {
  TrainOptions options;  // what the run was started with (epochs: the total planned)
  int epochs_done = 0;
  std::mt19937_64 shuffle_rng;
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
