// What ranks exchange in a data-parallel step, sharded: the gradients are summed over the ranks
// in buckets, but each rank sums only its share of every gradient (a reduce-scatter) and its
// optimizer updates only that share of the parameters, which then goes to every rank (an
// all-gather). The same bytes as summing everything on every rank, and each rank adds and
// updates 1/N of the elements. Shares are share_of(size, rank, ranks) of each parameter.
//
// Buckets: the parameters in backward order (last layer first) are grouped into buckets of at
// least `bucket_bytes`; a bucket is sent as soon as the backward of its layers is done, and moves
// on while the layers before it compute theirs. bucket_bytes = 0: one bucket, after backward.
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
#include <span>
#include <vector>

#include "rectify/nn/sequential.hpp"
#include "rectify/train/optimizer.hpp"
#include "rectify/train/team.hpp"

namespace rectify::train {

class GradientSync {
 public:
  GradientSync(Team& team, nn::Sequential& net, std::size_t bucket_bytes);
  // After the backward of layer `index` (forward order): sends the buckets now complete and
  // moves the others on.
  void layer_done(std::size_t index);
  // Waits for every bucket: this rank's share of each gradient holds its sum over the ranks; the
  // rest of the gradients is scratch.
  void finish();
  // This rank's share of the parameters, indexed as net.params() lists them.
  std::span<const ParamRange> share() const { return share_; }
  // Every rank's share of the parameters' values to every rank (after the update): started,
  // and finished, so that a small exchange can go on in between.
  void start_parameter_exchange();
  void finish_parameter_exchange();
  // The same for the summed gradients (for the message of a diverged update) and for the
  // optimizer's state (before a checkpoint): every rank calls them at the same point.
  void gather_gradients();
  void gather_state(Optimizer& optimizer);
  std::size_t buckets() const { return buckets_.size(); }

 private:
  struct Sum {
    nn::Param param;
    nn::Tensor landing;  // where this rank's share of the sum of param.grad arrives
    nn::Tensor spare;    // the landing of the step after
    std::unique_ptr<PendingExchange> pending;
  };
  struct Bucket {
    std::vector<Sum> sums;
    std::size_t first_layer = 0;  // its lowest layer: the last of its layers that backward runs
    std::size_t bytes = 0;
  };
  void start(Bucket& bucket);
  void start_gather(std::span<float> values);
  void finish_gathers();
  Team& team_;
  std::vector<nn::Param> params_;  // as net.params() lists them
  std::vector<ParamRange> share_;
  std::vector<Bucket> buckets_;  // in backward order
  std::size_t started_ = 0;
  std::vector<std::unique_ptr<PendingExchange>> gathers_;
};

}  // namespace rectify::train
