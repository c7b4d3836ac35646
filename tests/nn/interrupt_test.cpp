// A run asked to stop (Ctrl-C in the CLI) finishes its batch, saves where it stands, even in
// the middle of an epoch, and a run resumed from that checkpoint ends bit for bit where the
// uninterrupted run ends: metrics, diagnostics and the checkpoint's bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rectify/data/dataset.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {
namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void expect_same_metrics(const EpochMetrics& a, const EpochMetrics& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.train_loss, b.train_loss) << "epoch " << a.epoch;
  EXPECT_EQ(a.train_acc, b.train_acc) << "epoch " << a.epoch;
  EXPECT_EQ(a.test_loss, b.test_loss) << "epoch " << a.epoch;
  EXPECT_EQ(a.test_acc, b.test_acc) << "epoch " << a.epoch;
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const auto &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.dead, y.dead) << x.layer;
    EXPECT_EQ(x.died, y.died) << x.layer;
    EXPECT_EQ(x.revived, y.revived) << x.layer;
    EXPECT_EQ(x.sparsity, y.sparsity) << x.layer;
    EXPECT_EQ(x.mean, y.mean) << x.layer;
    EXPECT_EQ(x.stddev, y.stddev) << x.layer;
    EXPECT_EQ(x.grad_norm, y.grad_norm) << x.layer;
  }
}

// Stops after `after` batches in all, counted over the run.
StopRequest stop_after(std::size_t after) {
  return [after, calls = std::size_t{0}]() mutable { return ++calls == after; };
}

TEST(Interrupt, MidEpochResumeEndsExactlyWhereTheUninterruptedRunEnds) {
  const auto data = data::load_fashion_mnist_sample();
  const auto dir = std::filesystem::temp_directory_path();
  const auto whole = (dir / "rectify_int_whole.safetensors").string();
  const auto part = (dir / "rectify_int_part.safetensors").string();
  TrainOptions base;
  base.epochs = 3;
  base.dropout = 0.3;  // its generator must resume mid-epoch too
  TrainOptions sgd = base;
  sgd.optimizer = "sgd_nesterov";
  sgd.activation = "leaky_relu:0.1";  // dead units from the backward pass, not the mask
  // The sample has 32 batches of 64 per epoch: stop in epoch 2, at the end of epoch 2's
  // second-to-last batch, and after the very first batch.
  for (const auto& [o_case, after] :
       {std::pair{base, 40}, std::pair{sgd, 63}, std::pair{base, 1}}) {
    TrainOptions o = o_case;
    o.save = whole;
    const auto uninterrupted = train(o, data);

    o.save = part;
    std::filesystem::remove(part);
    try {
      train(o, data, {}, {}, stop_after(static_cast<std::size_t>(after)));
      FAIL() << "not interrupted";
    } catch (const Interrupted& e) {
      const auto batches = static_cast<std::size_t>(after) % 32;
      EXPECT_EQ(e.epoch, after / 32 + 1);
      EXPECT_EQ(e.batch, batches);
      EXPECT_EQ(e.batches, 32u);
      EXPECT_EQ(e.epochs, 3);
      EXPECT_EQ(e.checkpoint, part);
    }
    TrainOptions resume;
    resume.epochs = 3;
    resume.resume = part;
    resume.save = part;
    const auto rest = train(resume, data);
    ASSERT_EQ(rest.size(), 3u - static_cast<std::size_t>(after) / 32);
    for (std::size_t i = 0; i < rest.size(); ++i) {
      expect_same_metrics(rest[i], uninterrupted[uninterrupted.size() - rest.size() + i]);
    }
    EXPECT_EQ(file_bytes(whole), file_bytes(part)) << "stopped after batch " << after;
  }
  std::filesystem::remove(whole);
  std::filesystem::remove(part);
}

TEST(Interrupt, AtTheEndOfAnEpochSavesThatEpochAndResumesFromTheNext) {
  const auto data = data::load_fashion_mnist_sample();
  const auto path =
      (std::filesystem::temp_directory_path() / "rectify_int_boundary.safetensors").string();
  TrainOptions o;
  o.epochs = 2;
  const auto uninterrupted = train(o, data);
  o.interrupt_save = path;  // no --save: the interruption still saves, here
  std::filesystem::remove(path);
  try {
    train(o, data, {}, {}, stop_after(32));  // the last batch of epoch 1
    FAIL() << "not interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.epoch, 1);
    EXPECT_EQ(e.batch, e.batches);
    EXPECT_EQ(e.checkpoint, path);
  }
  TrainOptions resume;
  resume.epochs = 2;
  resume.resume = path;
  const auto rest = train(resume, data);
  ASSERT_EQ(rest.size(), 1u);
  expect_same_metrics(rest[0], uninterrupted[1]);
  std::filesystem::remove(path);
}

TEST(Interrupt, DuringTheLastBatchOfTheRunIsNoInterruption) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 1;
  EXPECT_EQ(train(o, data, {}, {}, stop_after(32)).size(), 1u);
}

}  // namespace
}  // namespace rectify::train
