#include "rectify/train/trainer.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

#include "rectify/data/batch.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/finite_check.hpp"
#include "rectify/train/layer_state.hpp"
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

// Scales every gradient by max_norm / ||g|| when the global L2 norm ||g|| exceeds max_norm. A
// non-finite norm leaves the gradients as they are, for the step's check to name.
void clip_gradients(const std::vector<nn::Param>& params, double max_norm) {
  double sum = 0;
  for (const auto& p : params) {
    for (const float g : p.grad->span()) sum += double(g) * g;
  }
  const double norm = std::sqrt(sum);
  if (!(norm > max_norm) || !std::isfinite(norm)) return;
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
                                const BatchProgress& progress, const EpochReport& report,
                                const StopRequest& stop) {
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
    run.options.interrupt_save = options.interrupt_save;
    run.options.resume = options.resume;
    run.options.diagnostics = options.diagnostics;
  }
  TrainOptions& o = run.options;
  try {
    check_options(o);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("train: {}", e.what()));
  }
  if (run.epochs_done > o.epochs) {
    throw std::invalid_argument(
        fmt::format("train: --epochs {} is fewer than the {} epochs {} has done already", o.epochs,
                    run.epochs_done, options.resume));
  }
  if (o.batch > data.train.count) {
    throw std::invalid_argument(fmt::format("train: batch {} is larger than the {} training images",
                                            o.batch, data.train.count));
  }
  // Checked before any work: a run that cannot save should not train for an epoch first.
  if (!o.save.empty()) save_target(o.save);
  if (o.save.empty() && !o.interrupt_save.empty()) save_target(o.interrupt_save);
  nn::Sequential model = build_model(o);
  auto optimizer = make_optimizer(o.optimizer, o.lr, o.momentum, o.weight_decay);
  const double base_lr = optimizer->learning_rate();
  o.lr = base_lr;  // checkpoints hold the rate in use, never 0 for "the default"
  const auto params = model.params();
  const auto probes = enabled_probes(model, o.diagnostics);
  if (resumed) {
    restore_checkpoint(*resumed, options.resume, params, *optimizer);
    restore_probes(probes, run.layer_state, options.resume);
  }

  const data::Dataset& set = data.train;
  const std::size_t batches = (set.count + o.batch - 1) / o.batch;
  if (run.batches_done >= batches && run.batches_done > 0) {
    throw CheckpointError(fmt::format("{}: saved {} batches into an epoch of {}: other data?",
                                      options.resume, run.batches_done, batches));
  }
  if (run.epoch_correct > run.batches_done * o.batch) {
    throw CheckpointError(fmt::format("{}: {} correct answers in the {} batches done",
                                      options.resume, run.epoch_correct, run.batches_done));
  }
  std::vector<std::size_t> order(set.count);
  nn::Tensor x, dlogits;
  std::vector<std::int32_t> y;
  std::vector<EpochMetrics> history;
  const std::string& stop_save = o.save.empty() ? o.interrupt_save : o.save;

  for (int epoch = run.epochs_done + 1; epoch <= o.epochs; ++epoch) {
    // Each epoch shuffles the identity order, so the order depends on the generator alone.
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (const auto& layer : model.layers()) {
      if (auto* drop = dynamic_cast<nn::Dropout*>(layer.get())) {
        drop->reseed(o.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(epoch));
      }
    }
    const std::mt19937_64 epoch_rng = run.shuffle_rng;  // what a mid-epoch checkpoint stores
    data::shuffle(order, run.shuffle_rng);
    // A run resumed in the middle of an epoch continues at the batch after the last one done.
    const std::size_t first_batch = run.batches_done;
    double loss_sum = run.epoch_loss_sum;
    std::size_t correct = run.epoch_correct;
    if (first_batch > 0) restore_dropout(model, run.layer_state, options.resume);
    run.batches_done = 0;
    run.epoch_loss_sum = 0;
    run.epoch_correct = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t b = first_batch; b < batches; ++b) {
      const std::size_t first = b * o.batch, count = std::min(o.batch, set.count - first);
      x.resize(model_input_shape(o.model, count, set.rows, set.cols));
      y.resize(count);
      data::fill_batch(set, std::span(order).subspan(first, count), x.span(), y);
      const nn::Tensor& logits = model.forward(x, true);  // (B, 10)
      const auto r = nn::softmax_cross_entropy(logits, y, &dlogits);
      // Divergence stops the run before anything is saved: the last checkpoint stays the last
      // good state.
      if (!std::isfinite(r.loss)) {
        throw DivergedError(fmt::format(
            "train: the loss became {} at epoch {}, batch {}; first non-finite output: layer {}; "
            "try a lower learning rate or --max-grad-norm",
            std::isnan(r.loss) ? "NaN" : "infinite", epoch, b + 1,
            first_non_finite_layer(model, x)));
      }
      model.backward(dlogits);
      if (o.max_grad_norm > 0) clip_gradients(params, o.max_grad_norm);
      const double done =
          static_cast<double>((epoch - 1) * batches + b) / static_cast<double>(o.epochs * batches);
      optimizer->set_learning_rate(scheduled_lr(o.schedule, base_lr, done));
      if (!optimizer->step(params)) {
        throw DivergedError(fmt::format(
            "train: non-finite values at epoch {}, batch {}: {}; try a lower learning rate or "
            "--max-grad-norm",
            epoch, b + 1, describe_non_finite(params)));
      }
      loss_sum += r.loss * static_cast<double>(count);
      correct += r.correct;
      if (progress) {
        progress(epoch, b + 1, batches, loss_sum / static_cast<double>(first + count));
      }
      if (stop && b + 1 < batches && stop()) {
        // Saved as it stands after this batch: the epoch's generator before its shuffle, the
        // batches done and their sums, so that a resumed run takes the very next batch.
        RunState partial = run;
        partial.epochs_done = epoch - 1;
        partial.shuffle_rng = epoch_rng;
        partial.batches_done = b + 1;
        partial.epoch_loss_sum = loss_sum;
        partial.epoch_correct = correct;
        partial.layer_state = layer_state(model, probes);
        if (!stop_save.empty()) save_checkpoint(stop_save, params, *optimizer, partial);
        throw Interrupted(epoch, b + 1, batches, o.epochs, stop_save);
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // At the training batch size: the layers' buffers are already that size, and a larger batch
    // would raise the peak memory (a cnn at 1000 images per batch held 270 MiB).
    const auto test = evaluate(model, o.model, data.test, std::max<std::size_t>(o.batch, 64));
    const std::size_t images = set.count - std::min(set.count, first_batch * o.batch);
    EpochMetrics m{.epoch = epoch,
                   .train_loss = loss_sum / static_cast<double>(set.count),
                   .train_acc = static_cast<double>(correct) / static_cast<double>(set.count),
                   .test_loss = test.loss,
                   .test_acc = test.accuracy,
                   .seconds = seconds,
                   .images_per_s = static_cast<double>(images) / seconds};
    for (auto* p : probes) m.layers.push_back(p->end_epoch());
    history.push_back(m);
    run.epochs_done = epoch;
    run.layer_state = layer_state(model, probes);
    if (!o.save.empty()) save_checkpoint(o.save, params, *optimizer, run);
    if (report) report(m);
    if (stop && epoch < o.epochs && stop()) {
      if (o.save.empty() && !stop_save.empty()) {
        save_checkpoint(stop_save, params, *optimizer, run);
      }
      throw Interrupted(epoch, batches, batches, o.epochs, stop_save);
    }
  }
  return history;
}

Interrupted::Interrupted(int epoch_, std::size_t batch_, std::size_t batches_, int epochs_,
                         std::string checkpoint_)
    : std::runtime_error(
          fmt::format("train: interrupted at epoch {}, batch {} of {}", epoch_, batch_, batches_)),
      epoch(epoch_),
      batch(batch_),
      batches(batches_),
      epochs(epochs_),
      checkpoint(std::move(checkpoint_)) {}

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
