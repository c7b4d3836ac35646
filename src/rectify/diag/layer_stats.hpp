// What the diagnostics report for one activation layer over one epoch.
#pragma once

#include <cstddef>
#include <string>

namespace rectify::diag {

// Dead unit, the one definition used everywhere: a unit whose activation had zero derivative,
// f'(z) = 0, for every training example of the epoch. No gradient can pass through it, so the
// weights feeding it get no update from the data, whatever the loss. A unit of a Linear or RNN
// layer is one output feature; a unit of a Conv2d layer is one output channel (over all its
// positions).
struct LayerStats {
  std::string layer;
  std::size_t units = 0;
  std::size_t dead = 0;
  std::size_t died = 0;         // dead this epoch, alive the epoch before
  std::size_t revived = 0;      // alive this epoch, dead the epoch before
  double sparsity = 0;          // fraction of the outputs exactly 0
  double mean = 0, stddev = 0;  // of the outputs
  // The L2 norm of the loss gradient at the layer's output over one batch, root mean square
  // over the epoch's batches: the gradient that reaches the layer (vanishing when tiny).
  double grad_norm = 0;

  double dead_fraction() const {
    return units ? static_cast<double>(dead) / static_cast<double>(units) : 0.0;
  }
};

}  // namespace rectify::diag
