// Where a training step's time goes: the trainer's step (batch conversion, each layer's forward,
// the loss, each layer's backward, the optimizer) taken apart and timed phase by phase over many
// steps of Fashion-MNIST, with the same model, optimizer and batch as `rectify train`.
//
// Usage: step_phases [--model mlp|cnn|rnn] [--threads N] [--steps S] [--no-diagnostics]
//                    [--optimizer sgd|adam]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/act/threads.hpp"
#include "rectify/data/batch.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/optimizer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Seconds per phase, in the order the phases first ran.
class PhaseTimes {
 public:
  void add(const std::string& phase, Clock::time_point start) {
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!seconds_.contains(phase)) order_.push_back(phase);
    seconds_[phase] += s;
  }
  void print(std::size_t steps, std::size_t batch, std::size_t images) const {
    double total = 0;
    for (const auto& [phase, s] : seconds_) total += s;
    const double per = 1e6 / static_cast<double>(steps);
    fmt::print("{:<24} {:>10} {:>7}\n", "phase", "us/step", "share");
    for (const auto& phase : order_) {
      const double s = seconds_.at(phase);
      fmt::print("{:<24} {:>10.1f} {:>6.1f}%\n", phase, s * per, 100 * s / total);
    }
    const std::size_t per_epoch = (images + batch - 1) / batch;
    fmt::print("{:<24} {:>10.1f}   (x {} steps = {:.3f} s per epoch)\n", "step", total * per,
               per_epoch, total / static_cast<double>(steps) * static_cast<double>(per_epoch));
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("A training step taken apart: the time of each phase", "step_phases");
  std::string model_name = "mlp", optimizer_name = "sgd";
  int threads = 1;
  std::size_t steps = 1000, batch = 64;
  bool no_diagnostics = false;
  app.add_option("--model", model_name)->check(CLI::IsMember({"mlp", "cnn", "rnn"}));
  app.add_option("--threads", threads)->check(CLI::Range(1, 1024));
  app.add_option("--steps", steps, "steps timed, after 20 of warm-up")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--batch", batch, "images per step (default 64)")->check(CLI::Range(1, 60000));
  app.add_option("--optimizer", optimizer_name)->check(CLI::IsMember({"sgd", "adam"}));
  app.add_flag("--no-diagnostics", no_diagnostics, "the per-layer statistics off");
  CLI11_PARSE(app, argc, argv);
  const bool diagnostics = !no_diagnostics;
  rectify::set_num_threads(threads);
  const auto data = rectify::data::load_fashion_mnist();
  const auto& set = data.train;
  if (batch > set.count) {
    fmt::print(stderr, "step_phases: --batch {} is larger than the {} training images of {}\n",
               batch, set.count, data.source);
    return 2;
  }
  std::mt19937_64 rng(1);
  auto model = rectify::train::make_model(model_name, rectify::Activation::parse("relu"), rng);
  for (const auto& layer : model.layers()) {
    for (auto* p : layer->probes()) p->set_enabled(diagnostics);
  }
  const double lr = optimizer_name == "sgd" ? 0.01 : 0.001;
  auto optimizer = rectify::train::make_optimizer(optimizer_name, lr, 0.9, 0.0);
  const auto params = model.params();
  auto order = rectify::data::shuffled_indices(set.count, 1);
  rectify::nn::Tensor x, dlogits;
  std::vector<std::int32_t> y(batch);
  PhaseTimes times;
  fmt::print("{} step phases: batch {}, {} thread(s), {} steps, diagnostics {}, {} of {}\n",
             model_name, batch, threads, steps, diagnostics ? "on" : "off", set.count, data.source);
  const std::size_t warmup = 20;
  for (std::size_t s = 0; s < steps + warmup; ++s) {
    if (s == warmup) times = PhaseTimes();
    const std::size_t first = (s * batch) % (set.count - batch + 1);
    auto t = Clock::now();
    x.resize(rectify::train::model_input_shape(model_name, batch, set.rows, set.cols));
    rectify::data::fill_batch(set, std::span(order).subspan(first, batch), x.span(), y);
    times.add("batch", t);
    const rectify::nn::Tensor* h = &x;
    for (const auto& layer : model.layers()) {
      t = Clock::now();
      h = &layer->forward(*h, true);
      times.add(layer->name() + " forward", t);
    }
    t = Clock::now();
    rectify::nn::softmax_cross_entropy(*h, y, &dlogits);
    times.add("loss", t);
    const rectify::nn::Tensor* g = &dlogits;
    for (auto it = model.layers().rbegin(); it != model.layers().rend(); ++it) {
      t = Clock::now();
      g = &(*it)->backward(*g);
      times.add((*it)->name() + " backward", t);
    }
    t = Clock::now();
    for (const auto& layer : model.layers()) {
      for (auto* p : layer->probes()) p->end_batch();
    }
    times.add("probes end_batch", t);
    t = Clock::now();
    if (!optimizer->step(params)) fmt::print(stderr, "non-finite parameters at step {}\n", s);
    times.add("optimizer", t);
  }
  times.print(steps, batch, set.count);
  return 0;
}
