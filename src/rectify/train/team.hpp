// The processes that train one model together (data parallelism), as the trainer sees them. The
// base class is the one process of a run without MPI: every call leaves its data as it is. An MPI
// build adds MpiTeam (dist/session.cpp), one rank per process of the launcher.
//
// Every sum is taken in rank order, ((x_0 + x_1) + x_2) + ..., by one rank per element, and its
// result sent to every rank: the same bits on every rank, and the same bits run after run for a
// given number of ranks (an MPI reduction may reorder its additions from call to call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rectify::train {

// A rank sent nothing within the team's timeout (it hung, or died without the launcher noticing);
// the message names it.
class TeamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A sum of floats under way: sent, and finished by wait().
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  // Moves the exchange on without blocking; true once the values hold the sum.
  virtual bool test() { return true; }
  // Blocks until the values hold the sum (TeamError past the timeout).
  virtual void wait() {}
};

// What the exchanges cost: for the benchmark and the JSON log.
struct TeamCounters {
  double wait_seconds = 0;       // blocked in wait() or a blocking call
  std::uint64_t bytes_sent = 0;  // by this rank
  std::uint64_t messages = 0;    // sent by this rank
};

class Team {
 public:
  virtual ~Team() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Every rank's bytes become rank 0's (the same length on every rank).
  virtual void broadcast(std::span<std::uint8_t> bytes) { (void)bytes; }
  // Rank 0's byte count, then its bytes: for a buffer only rank 0 has (a checkpoint file).
  virtual std::vector<std::uint8_t> broadcast_from_root(std::vector<std::uint8_t> bytes) {
    return bytes;
  }
  // Each value becomes its sum over the ranks, in rank order.
  virtual void sum(std::span<double> values) { (void)values; }
  // The same for floats, out of place, sent at once and finished by the PendingSum: each element
  // of `sums` becomes the sum of `values` over the ranks. Both must stay alive, `values`
  // untouched and `sums` unread, until wait() returns; they are the same length and do not
  // overlap (std::invalid_argument). The sum lands in a buffer of its own because the values are
  // read by the other ranks: writing the sums over them would make this rank's cache take back
  // every line they read, which costs more than the additions.
  virtual std::unique_ptr<PendingSum> start_sum(std::span<const float> values,
                                                std::span<float> sums);
  // Rank 0 gets every rank's text in rank order (its own first); the others get nothing.
  virtual std::vector<std::string> gather_to_root(std::string text) { return {std::move(text)}; }
  const TeamCounters& counters() const { return counters_; }

 protected:
  TeamCounters counters_;
};

// std::invalid_argument unless `values` and `sums` have the same length and do not overlap.
void check_sum_buffers(std::span<const float> values, std::span<float> sums);

// The images [begin, end) of a batch of `count` that rank `rank` of `ranks` takes: contiguous
// shares, the first count % ranks ranks one image more than the others.
struct Share {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};
Share share_of(std::size_t count, int rank, int ranks);

}  // namespace rectify::train
