// End to end on the embedded sample: the seeds' MLP learns well above chance in seconds, and a
// run is deterministic for a seed.
#include <gtest/gtest.h>

#include "rectify/data/dataset.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {
namespace {

TEST(Train, MlpLearnsTheEmbeddedSampleWellAboveChance) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 3;
  const auto history = train(o, data);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_GT(history.back().test_acc, 0.70) << "chance is 0.10";
  EXPECT_LT(history.back().train_loss, history.front().train_loss);
}

TEST(Train, SameSeedSameRun) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 1;
  o.activation = "leaky_relu:0.1";
  o.optimizer = "sgd";
  const auto a = train(o, data), b = train(o, data);
  EXPECT_EQ(a[0].train_loss, b[0].train_loss);
  EXPECT_EQ(a[0].test_acc, b[0].test_acc);
}

TEST(Train, BadOptionsAreClearErrors) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.optimizer = "sgdx";
  EXPECT_THROW(train(o, data), std::invalid_argument);
  o = {};
  o.schedule = "linear";
  EXPECT_THROW(train(o, data), std::invalid_argument);
  o = {};
  o.model = "transformer";
  EXPECT_THROW(train(o, data), std::invalid_argument);
  o = {};
  o.activation = "elu:-1";
  EXPECT_THROW(train(o, data), std::invalid_argument);
}

}  // namespace
}  // namespace rectify::train
