// The gradients of a data-parallel step summed over the team's ranks, in buckets: the parameters
// in backward order (last layer first) are grouped into buckets of at least `bucket_bytes`; a
// bucket is sent as soon as the backward of its layers is done, and moves on while the layers
// before it compute theirs. bucket_bytes = 0: one bucket, sent after the whole backward.
//
// Nothing is copied on the way: each gradient is sent from where its layer wrote it, its sum
// lands in a tensor of the same shape, and finish() puts that tensor in the gradient's place.
// Three tensors take the roles in turn (gradient, landing, spare): the one the other ranks have
// just read becomes the landing place only a step later, once it has left their caches (landing
// in it at once made the receiving copy take every line back from the other core: 88 against
// 28 us a step for the mlp's 400 KB on two ranks). This relies on the layers' contract: backward
// writes every element of its parameters' gradients and keeps no pointer into them between calls.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "rectify/nn/sequential.hpp"
#include "rectify/train/team.hpp"

namespace rectify::train {

class GradientSync {
 public:
  GradientSync(Team& team, nn::Sequential& net, std::size_t bucket_bytes);
  // After the backward of layer `index` (forward order): sends the buckets now complete and
  // moves the others on.
  void layer_done(std::size_t index);
  // Waits for every bucket and puts the sums in the gradients.
  void finish();
  std::size_t buckets() const { return buckets_.size(); }

 private:
  struct Sum {
    nn::Param param;
    nn::Tensor landing;  // where the sum of param.grad arrives
    nn::Tensor spare;    // the landing of the step after
    std::unique_ptr<PendingSum> pending;
  };
  struct Bucket {
    std::vector<Sum> sums;
    std::size_t first_layer = 0;  // its lowest layer: the last of its layers that backward runs
    std::size_t bytes = 0;
  };
  void start(Bucket& bucket);
  Team& team_;
  std::vector<Bucket> buckets_;  // in backward order
  std::size_t started_ = 0;
};

}  // namespace rectify::train
