// Training never goes silently wrong: a NaN or an infinity in the loss, a gradient or a
// parameter stops the run with the epoch, the batch and the layer, before anything is saved.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "rectify/data/dataset.hpp"
#include "rectify/train/finite_check.hpp"
#include "rectify/train/optimizer.hpp"
#include "rectify/train/safetensors.hpp"
#include "rectify/train/trainer.hpp"

namespace rectify::train {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The message of the DivergedError that train() throws (fails the test when it throws none).
std::string divergence_message(const TrainOptions& o, const data::FashionMnist& data) {
  try {
    train(o, data);
  } catch (const DivergedError& e) {
    return e.what();
  }
  ADD_FAILURE() << "training did not stop";
  return {};
}

TEST(NonFiniteFlag, SeesNanAndBothInfinitiesOnly) {
  for (const float v :
       {0.0f, -0.0f, 1.0f, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
        std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min()}) {
    NonFiniteFlag f;
    f.see(v);
    EXPECT_FALSE(f.any()) << v;
  }
  for (const float v : {kNan, -kNan, kInf, -kInf}) {
    NonFiniteFlag f;
    f.see(1.0f);
    f.see(v);
    f.see(2.0f);
    EXPECT_TRUE(f.any()) << v;
  }
}

TEST(Optimizer, StepReportsANonFiniteGradientInAnyParameter) {
  for (const std::string name : {"sgd", "sgd_nesterov", "adam", "adamw"}) {
    for (const float bad : {kNan, kInf, -kInf}) {
      nn::Tensor w1({3}), g1({3}), w2({2, 2}), g2({2, 2});
      w1.fill(0.5f);
      g1.fill(0.1f);
      w2.fill(-0.5f);
      g2.fill(0.2f);
      const std::vector<nn::Param> params = {{"fc1.weight", &w1, &g1}, {"fc2.weight", &w2, &g2}};
      auto opt = make_optimizer(name, 0, 0.9, 0.01);
      EXPECT_TRUE(opt->step(params)) << name;
      g2[3] = bad;
      EXPECT_FALSE(opt->step(params)) << name << " " << bad;
      const std::string text = describe_non_finite(params);
      EXPECT_NE(text.find("gradient of fc2.weight"), std::string::npos) << text;
      EXPECT_NE(text.find("element 3"), std::string::npos) << text;
      EXPECT_EQ(text.find("fc1.weight"), std::string::npos) << text;
    }
  }
}

TEST(Optimizer, StepReportsAnUpdateThatOverflows) {
  nn::Tensor w({2}), g({2});
  w.fill(1.0f);
  g[0] = 1.0f;
  g[1] = 0.0f;
  const std::vector<nn::Param> params = {{"fc1.bias", &w, &g}};
  auto opt = make_optimizer("sgd", 1e300, 0, 0);  // the float learning rate is infinite
  EXPECT_FALSE(opt->step(params));
  const std::string text = describe_non_finite(params);
  EXPECT_NE(text.find("parameter fc1.bias"), std::string::npos) << text;
  EXPECT_NE(text.find("gradient finite"), std::string::npos) << text;
}

TEST(Divergence, AnOverflowingUpdateNamesEpochBatchAndParameter) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 1;
  o.optimizer = "sgd";
  o.lr = 1e300;
  const std::string text = divergence_message(o, data);
  EXPECT_NE(text.find("epoch 1, batch 1:"), std::string::npos) << text;
  EXPECT_NE(text.find("fc1.weight"), std::string::npos) << text;
}

TEST(Divergence, AnInfiniteLossNamesTheFirstLayerThatOverflowed) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.epochs = 1;
  o.hidden_bias = 3.4e38;  // fc1's outputs are near FLT_MAX, fc2's sums of them overflow
  const std::string text = divergence_message(o, data);
  EXPECT_NE(text.find("the loss became"), std::string::npos) << text;
  EXPECT_NE(text.find("epoch 1, batch 1;"), std::string::npos) << text;
  EXPECT_NE(text.find("layer fc2"), std::string::npos) << text;
}

TEST(Divergence, TheLastGoodCheckpointStaysIntact) {
  const auto data = data::load_fashion_mnist_sample();
  const auto dir = std::filesystem::temp_directory_path();
  const auto good = (dir / "rectify_diverge_good.safetensors").string();
  const auto bad = (dir / "rectify_diverge_bad.safetensors").string();
  TrainOptions o;
  o.epochs = 1;
  o.optimizer = "sgd";
  o.save = good;
  train(o, data);
  // The same run, its learning rate made to overflow from epoch 2 on: resumed, it fails in its
  // first step, and its checkpoint must still be the one written after epoch 1.
  auto file = load_safetensors(good);
  file.metadata["lr"] = "1e300";
  std::vector<TensorView> views;
  for (const auto& [name, t] : file.tensors) views.push_back({name, t.shape, t.data});
  save_safetensors(bad, file.metadata, views);
  const std::string before = file_bytes(bad);
  TrainOptions resume;
  resume.epochs = 2;
  resume.resume = bad;
  resume.save = bad;
  const std::string text = divergence_message(resume, data);
  EXPECT_NE(text.find("epoch 2, batch 1:"), std::string::npos) << text;
  EXPECT_EQ(file_bytes(bad), before);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace rectify::train
