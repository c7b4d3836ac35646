// End to end on the embedded sample: the seeds' MLP learns well above chance in seconds, and a
// run is deterministic for a seed.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "rectify/data/batch.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/safetensors.hpp"
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

TEST(Train, CnnLearnsTheEmbeddedSample) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.model = "cnn";
  o.epochs = 1;
  const auto history = train(o, data);
  EXPECT_GT(history.back().test_acc, 0.55) << "chance is 0.10";
}

TEST(Train, IrnnLearnsTheEmbeddedSampleWithoutNan) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.model = "rnn";
  o.epochs = 2;
  const auto history = train(o, data);  // a NaN loss would throw
  EXPECT_GT(history.back().test_acc, 0.55) << "chance is 0.10";
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

namespace rectify::train {
namespace {

struct Interrupted {};

TEST(Checkpoint, ResumeEndsExactlyWhereAnUninterruptedRunEnds) {
  const auto data = data::load_fashion_mnist_sample();
  const auto dir = std::filesystem::temp_directory_path();
  const auto whole = (dir / "rectify_whole.safetensors").string();
  const auto part = (dir / "rectify_part.safetensors").string();
  TrainOptions o;
  o.epochs = 3;
  o.optimizer = "sgd_nesterov";
  o.dropout = 0.2;  // its drops must resume exactly too
  o.save = whole;
  const auto uninterrupted = train(o, data);

  o.save = part;  // the same run, stopped after its second epoch
  EXPECT_THROW(train(o, data, {},
                     [](const EpochMetrics& m) {
                       if (m.epoch == 2) throw Interrupted{};
                     }),
               Interrupted);
  TrainOptions resume;
  resume.epochs = 3;
  resume.resume = part;
  resume.save = part;
  resume.activation = "tanh";  // ignored: a resumed run keeps its own options
  const auto rest = train(resume, data);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].epoch, 3);
  EXPECT_EQ(rest[0].train_loss, uninterrupted.back().train_loss);
  EXPECT_EQ(rest[0].test_acc, uninterrupted.back().test_acc);
  // And the files are the same bytes: parameters, optimizer state and run state.
  std::ifstream a(whole, std::ios::binary), b(part, std::ios::binary);
  const std::string bytes_a((std::istreambuf_iterator<char>(a)), {});
  const std::string bytes_b((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(bytes_a, bytes_b);
}

TEST(Checkpoint, SaveThenLoadIsBitIdentical) {
  std::vector<float> w = {1.5f, -0.0f, std::numeric_limits<float>::denorm_min(), 3e38f};
  const auto path = std::filesystem::temp_directory_path() / "rectify_roundtrip.safetensors";
  save_safetensors(path, {{"k", "v"}}, {{"w", {2, 2}, w}});
  const auto f = load_safetensors(path);
  EXPECT_EQ(f.metadata.at("k"), "v");
  ASSERT_EQ(f.tensors.at("w").shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(std::memcmp(f.tensors.at("w").data.data(), w.data(), 16), 0);
}

TEST(Checkpoint, MalformedFilesAreClearErrors) {
  std::vector<float> w(6, 1.0f);
  const auto path = std::filesystem::temp_directory_path() / "rectify_bad.safetensors";
  save_safetensors(path, {}, {{"w", {2, 3}, w}});
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> good((std::istreambuf_iterator<char>(in)), {});
  // Every truncation is an error naming the file, never a crash.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(parse_safetensors(std::span(good).first(n), "f"), CheckpointError) << n;
  }
  auto extra = good;
  extra.push_back(0);
  EXPECT_THROW(parse_safetensors(extra, "f"), CheckpointError);
  auto huge_header = good;
  huge_header[7] = 0x7f;
  EXPECT_THROW(parse_safetensors(huge_header, "f"), CheckpointError);
  auto bad_json = good;
  bad_json[8] = '[';
  EXPECT_THROW(parse_safetensors(bad_json, "f"), CheckpointError);
  try {
    load_safetensors("/nonexistent/x.safetensors");
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.safetensors"), std::string::npos);
  }
}

TEST(Checkpoint, ResumingWithAForeignFileNamesWhatIsWrong) {
  const auto data = data::load_fashion_mnist_sample();
  std::vector<float> w(6, 1.0f);
  const auto path =
      (std::filesystem::temp_directory_path() / "rectify_foreign.safetensors").string();
  save_safetensors(path, {{"format", "something-else"}}, {{"w", {2, 3}, w}});
  TrainOptions o;
  o.resume = path;
  try {
    train(o, data);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("not a rectify checkpoint"), std::string::npos);
  }
}

}  // namespace
}  // namespace rectify::train

namespace rectify::train {
namespace {

// The first layer's pre-activations against the layer itself: relu(z) is what the model's fc1
// (relu fused into it) outputs for the same images; a trained checkpoint gives other values.
TEST(Preactivations, AreWhatTheFirstLayerComputesBeforeItsActivation) {
  const auto data = data::load_fashion_mnist_sample();
  TrainOptions o;
  o.seed = 3;
  constexpr std::size_t kImages = 16;
  const auto z = first_layer_preactivations(o, data.test, kImages);
  ASSERT_EQ(z.size(), kImages * 128);

  std::mt19937_64 rng(o.seed);
  auto model = make_model("mlp", Activation::parse("relu"), rng);
  nn::Tensor x(nn::Shape{kImages, 784});
  std::vector<std::size_t> indices(kImages);
  for (std::size_t i = 0; i < kImages; ++i) indices[i] = i;
  std::vector<std::int32_t> y(kImages);
  data::fill_batch(data.test, indices, x.span(), y);
  const auto& out = model.layers()[0]->forward(x, false);
  ASSERT_EQ(out.span().size(), z.size());
  std::size_t negative = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    negative += z[i] < 0;
    EXPECT_NEAR(out.span()[i], std::max(z[i], 0.0f), 1e-4f * (1 + std::fabs(z[i]))) << i;
  }
  EXPECT_GT(negative, z.size() / 5) << "an untrained relu layer has negative pre-activations";

  const auto dir = std::filesystem::temp_directory_path() / "rectify_preact_test";
  std::filesystem::create_directories(dir);
  o.epochs = 1;
  o.save = (dir / "run.safetensors").string();
  train(o, data);
  const auto trained = first_layer_preactivations(o, data.test, kImages, o.save);
  ASSERT_EQ(trained.size(), z.size());
  EXPECT_NE(std::memcmp(trained.data(), z.data(), z.size() * sizeof(float)), 0);
  EXPECT_THROW(first_layer_preactivations(o, data.test, kImages, dir / "missing.safetensors"),
               std::exception);
  auto cnn = o;
  cnn.model = "cnn";
  EXPECT_THROW(first_layer_preactivations(cnn, data.test, kImages), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

// The contract data-parallel training relies on (its sums land in tensors swapped with the
// gradients): a layer's backward writes every element of its parameter gradients, into the
// tensor it holds now, whatever that tensor held. Two models from the same seed take the same
// batch; one has its gradient tensors replaced by fresh ones full of NaN before each pass, and
// must give the other's gradients bit for bit.
TEST(Models, BackwardWritesEveryGradientElementIntoTheTensorItHoldsNow) {
  const auto data = data::load_fashion_mnist_sample();
  constexpr std::size_t kImages = 8;
  std::vector<std::size_t> indices(kImages);
  for (std::size_t i = 0; i < kImages; ++i) indices[i] = 3 * i;
  std::vector<std::int32_t> y(kImages);
  for (const std::string name : {"mlp", "cnn", "rnn", "deep"}) {
    SCOPED_TRACE(name);
    const double dropout = name == "mlp" || name == "cnn" ? 0.2 : 0.0;
    std::mt19937_64 rng_a(5), rng_b(5);
    auto a = make_model(name, Activation::parse("relu"), rng_a, true, dropout);
    auto b = make_model(name, Activation::parse("relu"), rng_b, true, dropout);
    nn::Tensor x(model_input_shape(name, kImages, data.train.rows, data.train.cols));
    data::fill_batch(data.train, indices, x.span(), y);
    for (int pass = 0; pass < 2; ++pass) {
      nn::Tensor da, db;
      nn::softmax_cross_entropy(a.forward(x, true), y, &da);
      a.backward(da);
      for (const auto& p : b.params()) {
        nn::Tensor fresh(p.grad->shape());
        fresh.fill(std::numeric_limits<float>::quiet_NaN());
        std::swap(*p.grad, fresh);
      }
      nn::softmax_cross_entropy(b.forward(x, true), y, &db);
      b.backward(db);
      const auto pa = a.params(), pb = b.params();
      ASSERT_EQ(pa.size(), pb.size());
      for (std::size_t i = 0; i < pa.size(); ++i) {
        const auto ga = pa[i].grad->span(), gb = pb[i].grad->span();
        ASSERT_EQ(ga.size(), gb.size());
        for (std::size_t j = 0; j < ga.size(); ++j) {
          ASSERT_EQ(std::bit_cast<std::uint32_t>(gb[j]), std::bit_cast<std::uint32_t>(ga[j]))
              << pb[i].name << " element " << j << " on pass " << pass << ": " << gb[j]
              << " against " << ga[j];
        }
      }
    }
  }
}

}  // namespace
}  // namespace rectify::train
