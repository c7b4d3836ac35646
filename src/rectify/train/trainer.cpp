#include "rectify/train/trainer.hpp"

#include <fmt/format.h>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>

#include "rectify/data/batch.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/optimizer.hpp"

namespace rectify::train {
namespace {

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation evaluate(nn::Sequential& model, const std::string& model_name, const data::Dataset& set,
                    std::size_t batch) {
  nn::Tensor x;
  std::vector<std::int32_t> y;
  std::vector<std::size_t> indices;
  double loss = 0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < set.count; start += batch) {
    const std::size_t b = std::min(batch, set.count - start);
    indices.resize(b);
    for (std::size_t i = 0; i < b; ++i) indices[i] = start + i;
    x.resize(model_input_shape(model_name, b, set.rows, set.cols));
    y.resize(b);
    data::fill_batch(set, indices, x.span(), y);
    const auto r = nn::softmax_cross_entropy(model.forward(x, false), y, nullptr);
    loss += r.loss * static_cast<double>(b);
    correct += r.correct;
  }
  const auto n = static_cast<double>(set.count);
  return {loss / n, static_cast<double>(correct) / n};
}

// Scales every gradient by max_norm / ||g|| when the global L2 norm ||g|| exceeds max_norm.
void clip_gradients(const std::vector<nn::Param>& params, double max_norm) {
  double sum = 0;
  for (const auto& p : params) {
    for (const float g : p.grad->span()) sum += double(g) * g;
  }
  const double norm = std::sqrt(sum);
  if (!(norm > max_norm)) return;
  const auto scale = static_cast<float>(max_norm / norm);
  for (const auto& p : params) {
    for (float& g : p.grad->span()) g *= scale;
  }
}

// The model of the options, initialised from their seed.
nn::Sequential build_model(const TrainOptions& o) {
  std::mt19937_64 rng(o.seed);
  nn::Sequential model =
      make_model(o.model, Activation::parse(o.activation), rng, o.identity_init, o.dropout);
  if (o.hidden_bias != 0) {
    for (const auto& layer : model.layers()) {
      if (layer->probes().empty()) continue;  // only the layers an activation follows
      for (const auto& p : layer->params()) {
        if (p.name.ends_with(".bias")) p.value->fill(static_cast<float>(o.hidden_bias));
      }
    }
  }
  return model;
}

// The model's probes, switched on or off; the list holds those that are on.
std::vector<diag::ActivationProbe*> enabled_probes(nn::Sequential& model, bool on) {
  std::vector<diag::ActivationProbe*> probes;
  for (const auto& layer : model.layers()) {
    for (auto* p : layer->probes()) {
      p->set_enabled(on);
      if (on) probes.push_back(p);
    }
  }
  return probes;
}

}  // namespace

double scheduled_lr(const std::string& schedule, double lr, double progress) {
  if (schedule == "constant") return lr;
  if (schedule == "step") return lr * (progress >= 0.75 ? 0.01 : progress >= 0.5 ? 0.1 : 1.0);
  if (schedule == "cosine") return lr * 0.5 * (1.0 + std::cos(std::acos(-1.0) * progress));
  throw std::invalid_argument(
      fmt::format("unknown schedule '{}'; known: constant, step, cosine", schedule));
}

std::vector<EpochMetrics> train(const TrainOptions& options, const data::FashionMnist& data,
                                const BatchProgress& progress, const EpochReport& report) {
  // A resumed run takes every option from its checkpoint but the number of epochs (and where
  // to save), so it continues exactly the run that wrote it.
  std::optional<SafetensorsFile> resumed;
  RunState run{.options = options,
               .shuffle_rng = std::mt19937_64(options.seed ^ 0x9E3779B97F4A7C15ull)};
  if (!options.resume.empty()) {
    resumed = load_safetensors(options.resume);
    run = read_run_state(*resumed, options.resume);
    run.options.epochs = options.epochs;
    run.options.save = options.save;
    run.options.resume = options.resume;
    run.options.diagnostics = options.diagnostics;
  }
  const TrainOptions& o = run.options;
  if (o.epochs < 1) throw std::invalid_argument("train: epochs must be at least 1");
  if (o.batch < 1) throw std::invalid_argument("train: batch must be at least 1");
  nn::Sequential model = build_model(o);
  auto optimizer = make_optimizer(o.optimizer, o.lr, o.momentum, o.weight_decay);
  const double base_lr = optimizer->learning_rate();
  scheduled_lr(o.schedule, base_lr, 0.0);  // rejects an unknown schedule before any work
  const auto params = model.params();
  const auto probes = enabled_probes(model, o.diagnostics);
  if (resumed) restore_checkpoint(*resumed, options.resume, params, *optimizer);

  const data::Dataset& set = data.train;
  const std::size_t batches = (set.count + o.batch - 1) / o.batch;
  std::vector<std::size_t> order(set.count);
  nn::Tensor x, dlogits;
  std::vector<std::int32_t> y;
  std::vector<EpochMetrics> history;

  for (int epoch = run.epochs_done + 1; epoch <= o.epochs; ++epoch) {
    // Each epoch shuffles the identity order, so the order depends on the generator alone.
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (const auto& layer : model.layers()) {
      if (auto* drop = dynamic_cast<nn::Dropout*>(layer.get())) {
        drop->reseed(o.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(epoch));
      }
    }
    data::shuffle(order, run.shuffle_rng);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    std::size_t correct = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * o.batch, count = std::min(o.batch, set.count - first);
      x.resize(model_input_shape(o.model, count, set.rows, set.cols));
      y.resize(count);
      data::fill_batch(set, std::span(order).subspan(first, count), x.span(), y);
      const nn::Tensor& logits = model.forward(x, true);  // (B, 10)
      const auto r = nn::softmax_cross_entropy(logits, y, &dlogits);
      if (!std::isfinite(r.loss)) {
        throw std::runtime_error(fmt::format(
            "train: the loss became {} at epoch {}, batch {}; try a lower learning rate", r.loss,
            epoch, b + 1));
      }
      model.backward(dlogits);
      if (o.max_grad_norm > 0) clip_gradients(params, o.max_grad_norm);
      const double done =
          static_cast<double>((epoch - 1) * batches + b) / static_cast<double>(o.epochs * batches);
      optimizer->set_learning_rate(scheduled_lr(o.schedule, base_lr, done));
      optimizer->step(params);
      loss_sum += r.loss * static_cast<double>(count);
      correct += r.correct;
      if (progress) {
        progress(epoch, b + 1, batches, loss_sum / static_cast<double>(first + count));
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto test = evaluate(model, o.model, data.test, 1000);
    EpochMetrics m{.epoch = epoch,
                   .train_loss = loss_sum / static_cast<double>(set.count),
                   .train_acc = static_cast<double>(correct) / static_cast<double>(set.count),
                   .test_loss = test.loss,
                   .test_acc = test.accuracy,
                   .seconds = seconds,
                   .images_per_s = static_cast<double>(set.count) / seconds};
    for (auto* p : probes) m.layers.push_back(p->end_epoch());
    history.push_back(m);
    run.epochs_done = epoch;
    if (!o.save.empty()) save_checkpoint(o.save, params, *optimizer, run);
    if (report) report(m);
  }
  return history;
}

std::string to_json(const EpochMetrics& m) {
  nlohmann::ordered_json j;
  j["epoch"] = m.epoch;
  j["train_loss"] = m.train_loss;
  j["train_acc"] = m.train_acc;
  j["test_loss"] = m.test_loss;
  j["test_acc"] = m.test_acc;
  j["seconds"] = m.seconds;
  j["images_per_s"] = m.images_per_s;
  for (const auto& l : m.layers) {
    j["layers"].push_back({{"name", l.layer},
                           {"units", l.units},
                           {"dead", l.dead},
                           {"dead_fraction", l.dead_fraction()},
                           {"died", l.died},
                           {"revived", l.revived},
                           {"sparsity", l.sparsity},
                           {"mean", l.mean},
                           {"std", l.stddev},
                           {"grad_norm", l.grad_norm}});
  }
  return j.dump();
}

std::vector<diag::LayerStats> probe_untrained(const TrainOptions& options, const data::Dataset& set,
                                              std::size_t batches) {
  if (options.batch < 1) throw std::invalid_argument("probe_untrained: batch must be at least 1");
  nn::Sequential model = build_model(options);
  const auto probes = enabled_probes(model, true);
  nn::Tensor x, dlogits;
  std::vector<std::int32_t> y;
  std::vector<std::size_t> indices;
  for (std::size_t b = 0; b < batches && b * options.batch < set.count; ++b) {
    const std::size_t first = b * options.batch;
    const std::size_t count = std::min(options.batch, set.count - first);
    indices.resize(count);
    for (std::size_t i = 0; i < count; ++i) indices[i] = first + i;
    x.resize(model_input_shape(options.model, count, set.rows, set.cols));
    y.resize(count);
    data::fill_batch(set, indices, x.span(), y);
    nn::softmax_cross_entropy(model.forward(x, true), y, &dlogits);
    model.backward(dlogits);
  }
  std::vector<diag::LayerStats> stats;
  for (auto* p : probes) stats.push_back(p->end_epoch());
  return stats;
}

}  // namespace rectify::train
