// The lab's plan as a list of jobs: one training run, one depth probe or one cost measurement
// each, independent of the others and in a fixed order. A job is what the lab caches, what
// `--shard I/N` hands out and what `--merge` gathers; its configuration (every setting that can
// change its result) is the key it is cached under.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rectify/lab/studies.hpp"
#include "rectify/train/options.hpp"

namespace rectify::lab {

enum class Study { compare, dying_lr, dying_bias, depth, init, cnn, rnn, cost };

struct Job {
  Study study = Study::compare;
  train::TrainOptions options;    // the run's (cost: only the activation is used)
  std::size_t probe_batches = 0;  // depth: batches through the untrained model
  double bench_seconds = 0;       // cost: per repetition of each measurement
  double validation = 0;          // the fraction of the training images held out (hold_out)
  std::string init_label;         // init and rnn: the setting's name in the report
  std::size_t train_images = 0;   // train on the first this many training images (0: all)
  bool histogram = false;         // keep histograms of the hidden pre-activations
  int threads = 1;                // results are reproducible for a seed and a thread count

  // "compare relu seed 1", "dying elu lr 0.5", "depth tanh", "cost gelu_tanh".
  std::string label() const;
  // The job's share of the plan's time, for the estimate of the time left: epochs of training.
  double weight() const;
};

// Every job of the plan's studies, in the order the lab runs them.
std::vector<Job> plan_jobs(const LabPlan& plan);

// The configuration as one line of JSON, the same text for the same job on any machine: the
// study, every training option that can change the result, the thread count and rectify's
// version. (The data set is identified separately, by content: see run_record.hpp.)
std::string job_config(const Job& job);

// The images a validation fraction holds out of `train_count` training images.
std::size_t validation_images(double fraction, std::size_t train_count);

// The shard (1-based) that runs each job of the plan: the longest first (by weight()), each to
// the shard with the least work so far (the lowest on a tie), so that the shards end close
// together: their totals differ by at most the longest job. The same plan and count give the
// same shards on every machine (--shard, and the ranks of mpirun).
std::vector<std::size_t> shard_assignment(const std::vector<Job>& jobs, std::size_t shards);

}  // namespace rectify::lab
