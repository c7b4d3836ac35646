// Kernels and layers are safe to call from several threads at once on different data: every
// job below runs first alone, then on four std::threads together (each kernel call may itself
// split across OpenMP threads), and gives the same bits both times. Built and run under
// ThreadSanitizer by the tsan preset.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rectify/data/dataset.hpp"
#include "rectify/lab/studies.hpp"
#include "rectify/nn/activation_layer.hpp"
#include "rectify/nn/conv2d.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/nn/maxpool2d.hpp"
#include "rectify/nn/rnn.hpp"
#include "rectify/rectify.hpp"
#include "rectify/train/metrics.hpp"
#include "rectify/train/models.hpp"

namespace rectify {
namespace {

using Result = std::vector<float>;
struct Job {
  std::string name;
  std::function<Result()> run;  // owns all its data: nothing is shared between jobs
};

std::vector<float> random_floats(std::size_t n, std::uint64_t seed, float scale = 3.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

void append(Result& r, std::span<const float> values) {
  r.insert(r.end(), values.begin(), values.end());
}

// Above both parallel thresholds, so that each call also splits across OpenMP threads.
constexpr std::size_t kElements = 3 * kParallelThreshold + 19;

Job kernel_job(const Activation& a, std::uint64_t seed) {
  return {a.to_string() + " kernels", [a, seed] {
            const auto x = random_floats(kElements, seed), dy = random_floats(kElements, seed + 1);
            std::vector<float> y(kElements), dx(kElements);
            Result r;
            forward(a, x, y);
            append(r, y);
            backward(a, x, dy, dx);
            append(r, dx);
            if (a.has_backward_from_output()) {
              backward_from_output(a, y, dy, dx);
              append(r, dx);
            }
            if (a.has_mask()) {
              std::vector<std::uint8_t> mask(mask_bytes(kElements));
              forward_with_mask(a, x, y, mask);
              backward_from_mask(a, mask, dy, dx);
              append(r, y);
              append(r, dx);
            }
            return r;
          }};
}

Job channel_job(std::uint64_t seed) {
  return {"prelu, crelu", [seed] {
            const auto layout = ChannelLayout::nchw(8, 16, 17, 19);
            const auto x = random_floats(layout.size(), seed),
                       dy = random_floats(layout.size(), seed + 1);
            const auto slopes = random_floats(16, seed + 2, 0.3f);
            std::vector<float> y(layout.size()), dx(layout.size()), dslopes(16);
            std::vector<float> y2(2 * layout.size()),
                dy2 = random_floats(2 * layout.size(), seed + 3);
            Result r;
            prelu_forward(x, slopes, layout, y);
            prelu_backward(x, slopes, dy, layout, dx, dslopes);
            append(r, y);
            append(r, dx);
            append(r, dslopes);
            crelu_forward(x, layout, y2);
            crelu_backward(x, dy2, layout, dx);
            append(r, y2);
            append(r, dx);
            return r;
          }};
}

// A layer's output, input gradient and parameter gradients for one training step.
Result layer_step(nn::Layer& layer, const nn::Tensor& x, std::uint64_t seed) {
  const nn::Tensor& y = layer.forward(x, true);
  nn::Tensor dy(y.shape());
  const auto g = random_floats(dy.size(), seed, 1.0f);
  std::copy(g.begin(), g.end(), dy.data());
  Result r;
  append(r, y.span());
  append(r, layer.backward(dy).span());
  for (const auto& p : layer.params()) append(r, p.grad->span());
  return r;
}

nn::Tensor random_tensor(const nn::Shape& s, std::uint64_t seed) {
  nn::Tensor t(s);
  const auto v = random_floats(t.size(), seed, 1.0f);
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

template <class MakeLayer>
Job layer_job(std::string name, nn::Shape input, std::uint64_t seed, MakeLayer make) {
  return {std::move(name), [input, seed, make] {
            std::mt19937_64 rng(seed);
            auto layer = make(rng);
            return layer_step(*layer, random_tensor(input, seed + 1), seed + 2);
          }};
}

Job model_job(const std::string& model, const std::string& activation, std::uint64_t seed) {
  return {model + " step", [model, activation, seed] {
            std::mt19937_64 rng(seed);
            auto net = train::make_model(model, Activation::parse(activation), rng, true, 0.2);
            const auto x = random_tensor(train::model_input_shape(model, 16, 28, 28), seed + 1);
            std::vector<std::int32_t> labels(16);
            for (std::size_t i = 0; i < labels.size(); ++i)
              labels[i] = static_cast<std::int32_t>(i % 10);
            nn::Tensor dlogits;
            const auto loss = nn::softmax_cross_entropy(net.forward(x, true), labels, &dlogits);
            net.backward(dlogits);
            Result r = {static_cast<float>(loss.loss)};
            for (const auto& p : net.params()) append(r, p.grad->span());
            return r;
          }};
}

std::vector<Job> jobs() {
  std::vector<Job> all;
  std::uint64_t seed = 100;
  for (const auto& f : registry()) {
    if (f.layer.kind != LayerKind::elementwise) continue;  // the channel job
    all.push_back(kernel_job(Activation(f.fn), seed += 10));
  }
  all.push_back(kernel_job(Activation::parse("keras_relu:max_value=6,threshold=0.5"), seed += 10));
  all.push_back(channel_job(seed += 10));
  all.push_back(layer_job("linear relu", {32, 300}, seed += 10, [](std::mt19937_64& rng) {
    return std::make_unique<nn::Linear>("fc", 300, 200, Activation::parse("relu"), rng);
  }));
  all.push_back(layer_job("conv elu", {4, 3, 20, 20}, seed += 10, [](std::mt19937_64& rng) {
    return std::make_unique<nn::Conv2d>("conv", 3, 8, 3, 1, 1, Activation::parse("elu"), rng);
  }));
  all.push_back(layer_job("rnn relu", {8, 12, 10}, seed += 10, [](std::mt19937_64& rng) {
    return std::make_unique<nn::RNN>("rnn", 10, 32, 2, Activation::parse("relu"), true, rng);
  }));
  all.push_back(layer_job("prelu layer", {4, 6, 10, 10}, seed += 10, [](std::mt19937_64&) {
    return std::make_unique<nn::ActivationLayer>("act", Activation::parse("prelu"), 6);
  }));
  all.push_back(layer_job("maxpool", {4, 6, 10, 10}, seed += 10, [](std::mt19937_64&) {
    return std::make_unique<nn::MaxPool2d>("pool", 2, 2);
  }));
  all.push_back(model_job("mlp", "leaky_relu:0.1", seed += 10));
  all.push_back(model_job("cnn", "relu", seed += 10));
  return all;
}

TEST(Concurrency, KernelsAndLayersOnSeveralThreadsGiveTheSingleThreadBits) {
  const auto all = jobs();
  std::vector<Result> alone;
  for (const auto& job : all) alone.push_back(job.run());

  constexpr std::size_t kThreads = 4;
  std::vector<Result> together(all.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t j = t; j < all.size(); j += kThreads) together[j] = all[j].run();
    });
  }
  for (auto& th : threads) th.join();

  for (std::size_t j = 0; j < all.size(); ++j) {
    ASSERT_EQ(alone[j].size(), together[j].size()) << all[j].name;
    EXPECT_EQ(std::memcmp(alone[j].data(), together[j].data(), alone[j].size() * sizeof(float)), 0)
        << all[j].name << ": different bits when run beside other threads";
  }
}

// The lab's runs side by side (OpenMP's threads, one run each): every record the same as when
// the runs take turns.
TEST(Concurrency, LabRunsSideBySideGiveTheBitsOfRunsInTurn) {
  auto data = data::load_fashion_mnist_sample();
  for (auto* set : {&data.train, &data.test}) {
    const std::size_t n = set == &data.train ? 192 : 64;
    set->images.resize(n * set->rows * set->cols);
    set->labels.resize(n);
    set->count = n;
  }
  auto plan = lab::make_plan("quick");
  plan.studies = lab::parse_studies("compare,dying");
  plan.activations = {"relu", "elu"};
  plan.seeds = {1, 2};
  plan.rates = {{"sgd", 0.01}, {"adam", 0.001}};
  plan.dying_activations = {"relu"};
  plan.dying_seeds = {1};
  plan.epochs = plan.dying_epochs = 1;
  plan.jobs = 1;
  const auto in_turn = lab::run_lab(plan, data);
  plan.jobs = 3;
  const auto side_by_side = lab::run_lab(plan, data);
  ASSERT_EQ(in_turn.comparison.size(), side_by_side.comparison.size());
  for (std::size_t i = 0; i < in_turn.comparison.size(); ++i) {
    const auto &a = in_turn.comparison[i].epochs, &b = side_by_side.comparison[i].epochs;
    ASSERT_EQ(a.size(), b.size());
    const auto untimed = [](train::EpochMetrics m) {
      m.seconds = m.images_per_s = 0;
      return train::to_json(m);  // losses, accuracies and diagnostics, to the last digit
    };
    for (std::size_t e = 0; e < a.size(); ++e) EXPECT_EQ(untimed(a[e]), untimed(b[e])) << i;
  }
  EXPECT_EQ(in_turn.dying_lr.size(), side_by_side.dying_lr.size());
}

}  // namespace
}  // namespace rectify
