// The diagnostics inside real training runs: every model reports its activation layers, the
// probes only watch (the run is bit-identical with them off), the JSON log carries them, and the
// dying-ReLU recipe (a large negative bias) shows up as dead units.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rectify/data/dataset.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {
namespace {

data::FashionMnist small_sample(std::size_t n) {
  auto d = data::load_fashion_mnist_sample();
  d.train.images.resize(n * d.train.rows * d.train.cols);
  d.train.labels.resize(n);
  d.train.count = n;
  return d;
}

std::vector<std::string> layer_names(const EpochMetrics& m) {
  std::vector<std::string> names;
  for (const auto& l : m.layers) names.push_back(l.layer);
  return names;
}

TEST(TrainDiagnostics, EveryModelReportsItsActivationLayers) {
  const auto data = small_sample(256);
  TrainOptions o;
  o.epochs = 1;
  using Names = std::vector<std::string>;
  EXPECT_EQ(layer_names(train(o, data).back()), Names{"fc1"});
  o.model = "cnn";
  const auto cnn = train(o, data).back();
  EXPECT_EQ(layer_names(cnn), (Names{"conv1", "conv2", "fc1"}));
  EXPECT_EQ(cnn.layers[0].units, 32u);  // a conv unit is an output channel
  o.model = "rnn";
  EXPECT_EQ(layer_names(train(o, data).back()), Names{"rnn"});
  o.model = "deep";
  EXPECT_EQ(train(o, data).back().layers.size(), 9u);
  o.model = "mlp";
  o.activation = "crelu";
  EXPECT_EQ(layer_names(train(o, data).back()), Names{"act1"});
}

TEST(TrainDiagnostics, ProbesOnlyWatch) {
  const auto data = small_sample(512);
  for (const auto* activation : {"relu", "elu", "prelu"}) {
    TrainOptions o;
    o.epochs = 2;
    o.activation = activation;
    const auto on = train(o, data);
    o.diagnostics = false;
    const auto off = train(o, data);
    EXPECT_TRUE(off.back().layers.empty());
    EXPECT_EQ(on.back().train_loss, off.back().train_loss) << activation;
    EXPECT_EQ(on.back().test_acc, off.back().test_acc) << activation;
    const auto& fc1 = on.back().layers.at(0);
    EXPECT_EQ(fc1.units, 128u);
    EXPECT_GT(fc1.grad_norm, 0.0);
    EXPECT_GT(fc1.stddev, 0.0);
  }
}

TEST(TrainDiagnostics, JsonLogCarriesTheLayers) {
  const auto data = small_sample(256);
  TrainOptions o;
  o.epochs = 1;
  const auto m = train(o, data).back();
  const auto j = nlohmann::json::parse(to_json(m));
  ASSERT_EQ(j["layers"].size(), 1u);
  const auto& l = j["layers"][0];
  EXPECT_EQ(l["name"], "fc1");
  EXPECT_EQ(l["units"], 128);
  EXPECT_EQ(l["dead"], m.layers[0].dead);
  EXPECT_DOUBLE_EQ(l["sparsity"].get<double>(), m.layers[0].sparsity);
  for (const auto* key : {"dead_fraction", "died", "revived", "mean", "std", "grad_norm"}) {
    EXPECT_TRUE(l.contains(key)) << key;
  }
}

TEST(TrainDiagnostics, ALargeNegativeBiasKillsReluUnitsButNotLeakyOnes) {
  const auto data = small_sample(512);
  TrainOptions o;
  o.epochs = 1;
  o.optimizer = "sgd";
  o.lr = 0.01;
  o.hidden_bias = -10;  // far below any w.x of a [0, 1] image at He initialisation
  const auto relu = train(o, data).back().layers.at(0);
  EXPECT_GT(relu.dead, 100u);
  EXPECT_GT(relu.sparsity, 0.9);
  o.activation = "leaky_relu";
  EXPECT_EQ(train(o, data).back().layers.at(0).dead, 0u);
}

TEST(TrainDiagnostics, UntrainedProbeShowsSigmoidGradientsVanishWithDepth) {
  const auto data = small_sample(256);
  TrainOptions o;
  o.model = "deep";
  o.activation = "sigmoid";
  const auto sigmoid = probe_untrained(o, data.train, 2);
  ASSERT_EQ(sigmoid.size(), 9u);
  o.activation = "relu";
  const auto relu = probe_untrained(o, data.train, 2);
  // He-initialised relu keeps the gradient's size through the layers; Glorot-initialised
  // sigmoid (f' <= 1/4) loses it by orders of magnitude on the way back to fc1.
  EXPECT_GT(relu.front().grad_norm / relu.back().grad_norm, 0.2);
  EXPECT_LT(sigmoid.front().grad_norm / sigmoid.back().grad_norm, 1e-3);
}

}  // namespace
}  // namespace rectify::train
