// The options of a training run: what `rectify train` takes on its command line and what a
// checkpoint stores, with the ranges both are checked against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rectify/act/registry.hpp"

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
  // The initializer of the weights of every layer followed by an activation: empty for each
  // function's default (registry), else he_normal, he_uniform, lecun_normal or glorot_uniform;
  // and a factor on those weights (> 1: too large, the lab's initialization study).
  std::string init;
  double init_scale = 1;
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

// "he_normal" -> Init::he_normal; std::invalid_argument naming the known ones.
Init parse_init(std::string_view name);

}  // namespace rectify::train
