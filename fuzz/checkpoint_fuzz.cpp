// The checkpoint reader on arbitrary bytes: the safetensors layout, then everything a resumed run
// reads from it (the run state, the tensors restored into the model and optimizer it describes,
// the diagnostics' saved state). Any input may be rejected with CheckpointError; nothing else may
// happen.
#include <cstdint>
#include <random>
#include <span>

#include "rectify/act/activation.hpp"
#include "rectify/diag/probe.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/sequential.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/layer_state.hpp"

namespace {

using namespace rectify;

// A model shaped like the seeds' MLP with dropout, only tiny (4 -> 3 -> 2), so that a checkpoint
// small enough to mutate fast can be restored in full; built once: restoring overwrites it.
struct Target {
  nn::Sequential model;
  std::unique_ptr<train::Optimizer> optimizer;
  diag::ActivationProbe probe{"fc1", Activation::parse("relu")};  // the name its state is under

  Target() {
    std::mt19937_64 rng(1);
    model.add(std::make_unique<nn::Linear>("fc1", 4, 3, Activation::parse("relu"), rng));
    model.add(std::make_unique<nn::Dropout>("dropout", 0.5, 1));
    model.add(std::make_unique<nn::Linear>("fc2", 3, 2, std::nullopt, rng));
    optimizer = train::make_optimizer("adam", 0, 0.9, 0);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target target;
  try {
    const auto file = train::parse_safetensors(std::span(data, size), "fuzz");
    const auto run = train::read_run_state(file, "fuzz");
    train::restore_checkpoint(file, "fuzz", target.model.params(), *target.optimizer);
    train::restore_probes({&target.probe}, run.layer_state, "fuzz");
    train::restore_dropout(target.model, run.layer_state, "fuzz");
  } catch (const train::CheckpointError&) {
  }
  return 0;
}
