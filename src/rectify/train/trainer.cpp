#include "rectify/train/trainer.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>

#include "rectify/data/batch.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/init.hpp"
#include "rectify/nn/loss.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/finite_check.hpp"
#include "rectify/train/gradient_sync.hpp"
#include "rectify/train/layer_state.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/optimizer.hpp"

namespace rectify::train {
namespace {

struct Evaluation {
  double loss = 0, accuracy = 0;
};

// The loss and accuracy on `set`, each rank of the team taking a share of its images.
Evaluation evaluate(nn::Sequential& model, const std::string& model_name, const data::Dataset& set,
                    std::size_t batch, Team& team) {
  nn::Tensor x;
  std::vector<std::int32_t> y;
  std::vector<std::size_t> indices;
  double loss = 0;
  std::size_t correct = 0;
  const Share share = share_of(set.count, team.rank(), team.size());
  for (std::size_t start = share.begin; start < share.end; start += batch) {
    const std::size_t b = std::min(batch, share.end - start);
    indices.resize(b);
    for (std::size_t i = 0; i < b; ++i) indices[i] = start + i;
    x.resize(model_input_shape(model_name, b, set.rows, set.cols));
    y.resize(b);
    data::fill_batch(set, indices, x.span(), y);
    const auto r = nn::softmax_cross_entropy(model.forward(x, false), y, nullptr);
    loss += r.loss * static_cast<double>(b);
    correct += r.correct;
  }
  std::array<double, 2> sums{loss, static_cast<double>(correct)};
  team.sum(sums);
  const auto n = static_cast<double>(set.count);
  return {sums[0] / n, sums[1] / n};
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
  const Activation activation = Activation::parse(o.activation);
  for (const auto& layer : model.layers()) {
    if (layer->probes().empty()) continue;  // only the layers an activation follows
    for (const auto& p : layer->params()) {
      if (p.name.ends_with(".bias") && o.hidden_bias != 0) {
        p.value->fill(static_cast<float>(o.hidden_bias));
      }
      if (!p.name.ends_with(".weight") || (o.init.empty() && o.init_scale == 1)) continue;
      // Drawn again (after the model's own draws, from the same generator) with the chosen
      // initializer: fan_out rows of fan_in (a Conv2d's kernels count in fan_in).
      const std::size_t fan_out = p.value->shape()[0];
      const std::size_t fan_in = p.value->shape().size() / fan_out;
      const std::optional<Init> init =
          o.init.empty() ? std::nullopt : std::optional<Init>(parse_init(o.init));
      nn::init_weights(p.value->span(), fan_in, fan_out, &activation, rng, init);
      for (float& w : p.value->span()) w *= static_cast<float>(o.init_scale);
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

// The model being trained, its optimizer, and the buffers a step reuses.
struct Model {
  nn::Sequential net;
  std::unique_ptr<Optimizer> optimizer;
  double base_lr = 0;  // the schedule's starting rate
  std::vector<nn::Param> params;
  std::vector<diag::ActivationProbe*> probes;  // those enabled
  nn::Tensor x, dlogits;                       // the batch's input; (B, 10)
  std::vector<std::int32_t> y;                 // (B)
  Team* team = nullptr;
  std::unique_ptr<GradientSync> sync;  // with more than one rank
};

// The diagnostics' epoch sums of every probe, summed over the ranks (the batches counted once:
// every rank ran them).
void sum_probes(Model& m) {
  if (m.team->size() == 1 || m.probes.empty()) return;
  std::vector<double> all;
  std::vector<std::size_t> ends;
  for (auto* p : m.probes) {
    auto sums = p->epoch_sums();
    if (m.team->rank() != 0) sums[5] = 0;
    all.insert(all.end(), sums.begin(), sums.end());
    ends.push_back(all.size());
  }
  m.team->sum(all);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < m.probes.size(); ++i) {
    m.probes[i]->set_epoch_sums(std::span(all).subspan(begin, ends[i] - begin));
    begin = ends[i];
  }
}

// The errors that stop a run whose loss (naming the first layer whose output overflowed) or whose
// parameters (naming each one) stopped being finite.
DivergedError loss_diverged(Model& m, double loss, int epoch, std::size_t batch_number) {
  return DivergedError(fmt::format(
      "train: the loss became {} at epoch {}, batch {}; first non-finite output: layer {}; "
      "try a lower learning rate or --max-grad-norm",
      std::isnan(loss) ? "NaN" : "infinite", epoch, batch_number,
      first_non_finite_layer(m.net, m.x)));
}

DivergedError update_diverged(const Model& m, int epoch, std::size_t batch_number) {
  return DivergedError(
      fmt::format("train: non-finite values at epoch {}, batch {}: {}; try a lower learning rate "
                  "or --max-grad-norm",
                  epoch, batch_number, describe_non_finite(m.params)));
}

// What a step reports, summed over the ranks: the loss times the images, the correct answers,
// and whether any rank was asked to stop.
struct StepResult {
  double loss_sum = 0;
  std::size_t correct = 0;
  bool stop = false;
};

// One training step on the images `batch` of `set` (this rank's share of them): forward, loss,
// backward (the gradients summed over the ranks), clipping, the optimizer's update at rate
// `lr`. DivergedError naming the epoch and the batch (1-based) when the loss or a parameter stops
// being finite: the run stops before anything is saved, so the last checkpoint stays the last
// good state. `stop`: this rank was asked to stop (agreed on with the others here).
StepResult train_step(Model& m, const TrainOptions& o, const data::Dataset& set,
                      std::span<const std::size_t> batch, double lr, int epoch,
                      std::size_t batch_number, bool stop) {
  Team& team = *m.team;
  const Share share = share_of(batch.size(), team.rank(), team.size());
  const auto local = batch.subspan(share.begin, share.size());
  nn::LossResult r{};
  if (!local.empty()) {
    m.x.resize(model_input_shape(o.model, local.size(), set.rows, set.cols));
    m.y.resize(local.size());
    data::fill_batch(set, local, m.x.span(), m.y);
    const nn::Tensor& logits = m.net.forward(m.x, true);  // (B, 10)
    r = nn::softmax_cross_entropy(logits, m.y, &m.dlogits);
  }
  std::array<double, 3> sums{r.loss * static_cast<double>(local.size()),
                             static_cast<double>(r.correct), stop ? 1.0 : 0.0};
  const bool alone = team.size() == 1;
  if (alone && !std::isfinite(sums[0])) throw loss_diverged(m, sums[0], epoch, batch_number);
  if (local.empty()) {
    for (const auto& p : m.params) p.grad->fill(0.0f);  // a share of no images adds nothing
  } else if (team.size() == 1) {
    m.net.backward(m.dlogits);
  } else {
    // The loss is the mean over this rank's share: its gradient times share / batch is this
    // share's part of the global batch's mean, and the ranks' parts add up to it.
    const auto scale =
        static_cast<float>(static_cast<double>(local.size()) / static_cast<double>(batch.size()));
    for (float& g : m.dlogits.span()) g *= scale;
    m.net.backward(m.dlogits, [&m](std::size_t layer) { m.sync->layer_done(layer); });
  }
  if (!alone) {
    m.sync->finish();
    // Summed once the ranks meet for the gradients anyway, not at a meeting of its own between
    // forward and backward (a backward on a non-finite loss is harmless: nothing is applied).
    team.sum(sums);
    if (!std::isfinite(sums[0])) throw loss_diverged(m, sums[0], epoch, batch_number);
  }
  if (o.max_grad_norm > 0) clip_gradients(m.params, o.max_grad_norm);
  m.optimizer->set_learning_rate(lr);
  if (!m.optimizer->step(m.params)) throw update_diverged(m, epoch, batch_number);
  return {sums[0], static_cast<std::size_t>(sums[1]), sums[2] > 0};
}

// Where the run starts: the options' fresh state, or the state `options.resume` holds, which
// keeps every option of the checkpoint but the number of epochs, where to save and the
// diagnostics, so that it continues exactly the run that wrote it. Everything is checked before
// any work: a run that cannot save should not train for an epoch first.
// The checkpoint to resume from: read by rank 0 (checked there) and sent to the others, so that
// every rank starts from the same bytes even where only rank 0 can read the file.
SafetensorsFile read_resumed(const std::string& path, Team& team) {
  if (team.size() == 1) return load_safetensors(path);
  std::vector<std::uint8_t> bytes;
  if (team.rank() == 0) {
    load_safetensors(path);  // every check, with its message, before the bytes go out
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw CheckpointError(path + ": cannot read");
  }
  bytes = team.broadcast_from_root(std::move(bytes));
  return parse_safetensors(bytes, path);
}

RunState starting_state(const TrainOptions& options, const data::Dataset& set,
                        std::optional<SafetensorsFile>& resumed, Team& team) {
  RunState run{.options = options,
               .shuffle_rng = std::mt19937_64(options.seed ^ 0x9E3779B97F4A7C15ull)};
  if (!options.resume.empty()) {
    resumed = read_resumed(options.resume, team);
    run = read_run_state(*resumed, options.resume);
    run.options.epochs = options.epochs;
    run.options.save = options.save;
    run.options.interrupt_save = options.interrupt_save;
    run.options.resume = options.resume;
    run.options.diagnostics = options.diagnostics;
  }
  const TrainOptions& o = run.options;
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
  if (o.batch > set.count) {
    throw std::invalid_argument(
        fmt::format("train: batch {} is larger than the {} training images", o.batch, set.count));
  }
  if (o.batch < static_cast<std::size_t>(team.size())) {
    throw std::invalid_argument(fmt::format(
        "train: batch {} is smaller than the {} ranks: every rank needs an image of every batch",
        o.batch, team.size()));
  }
  if (team.rank() == 0) {  // the one rank that writes
    if (!o.save.empty()) save_target(o.save);
    if (o.save.empty() && !o.interrupt_save.empty()) save_target(o.interrupt_save);
  }
  return run;
}

// The run's model and optimizer, with the checkpoint's parameters, optimizer state and probes
// when it resumes. Sets run.options.lr to the rate in use: checkpoints hold it, never 0 for
// "the default".
Model build_training_model(RunState& run, const std::string& resume,
                           const std::optional<SafetensorsFile>& resumed, Team& team,
                           std::size_t bucket_bytes) {
  TrainOptions& o = run.options;
  Model m{.net = build_model(o),
          .optimizer = make_optimizer(o.optimizer, o.lr, o.momentum, o.weight_decay)};
  m.base_lr = m.optimizer->learning_rate();
  o.lr = m.base_lr;
  m.params = m.net.params();
  m.probes = enabled_probes(m.net, o.diagnostics);
  m.team = &team;
  if (resumed) {
    restore_checkpoint(*resumed, resume, m.params, *m.optimizer);
    restore_probes(m.probes, run.layer_state, resume);
  }
  if (team.size() > 1) {
    for (const auto& p : m.params) {
      const auto values = p.value->span();
      team.broadcast(
          std::span(reinterpret_cast<std::uint8_t*>(values.data()), values.size() * sizeof(float)));
    }
    // The checkpoint's sums of the epoch under way are rank 0's to add (they are the team's).
    for (auto* p : m.probes) {
      auto sums = p->epoch_sums();
      if (team.rank() != 0) std::fill(sums.begin(), sums.end(), 0.0);
      p->set_epoch_sums(sums);
    }
    m.sync = std::make_unique<GradientSync>(team, m.net, bucket_bytes);
  }
  return m;
}

// A checkpoint's position inside an epoch, against the epoch's `batches`.
void check_position(const RunState& run, std::size_t batches, const std::string& resume) {
  if (run.batches_done >= batches && run.batches_done > 0) {
    throw CheckpointError(fmt::format("{}: saved {} batches into an epoch of {}: other data?",
                                      resume, run.batches_done, batches));
  }
  if (run.epoch_correct > run.batches_done * run.options.batch) {
    throw CheckpointError(fmt::format("{}: {} correct answers in the {} batches done", resume,
                                      run.epoch_correct, run.batches_done));
  }
}

// The batches of an epoch done so far, and their loss and correct answers.
struct EpochSums {
  std::size_t batches = 0;
  double loss = 0;  // the sum of the batches' mean losses times their sizes
  std::size_t correct = 0;

  void add(double loss_sum, std::size_t step_correct) {
    ++batches;
    loss += loss_sum;
    correct += step_correct;
  }
};

// FNV-1a over the bytes of every parameter.
std::uint64_t parameter_digest(const std::vector<nn::Param>& params) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& p : params) {
    for (const float v : p.value->span()) {
      const auto bits = std::bit_cast<std::uint32_t>(v);
      for (int k = 0; k < 32; k += 8) h = (h ^ ((bits >> k) & 0xFFu)) * 0x100000001b3ull;
    }
  }
  return h;
}

// Every rank must hold rank 0's parameters after a step: the same gradients and the same update
// give the same bits, unless a rank computes differently (another build or SIMD target, other
// data). Checked once an epoch, from the digests.
void check_same_parameters(Team& team, std::uint64_t digest, int epoch) {
  if (team.size() == 1) return;
  std::uint64_t root = digest;
  team.broadcast(std::span(reinterpret_cast<std::uint8_t*>(&root), sizeof root));
  if (root != digest) {
    throw TeamError(fmt::format(
        "after epoch {} the parameters of rank {} differ from rank 0's: every rank needs the same "
        "data, the same build and the same SIMD target",
        epoch, team.rank()));
  }
}

// Whether any rank was asked to stop: every rank stops at the same point.
bool agreed_stop(Team& team, bool asked) {
  std::array<double, 1> any{asked ? 1.0 : 0.0};
  team.sum(any);
  return any[0] > 0;
}

// The position a mid-epoch checkpoint left in `run` (zero at an epoch boundary), taken out of
// it: from here on the run state is that of the epoch's end.
EpochSums take_position(RunState& run) {
  const EpochSums sums{run.batches_done, run.epoch_loss_sum, run.epoch_correct};
  run.batches_done = 0;
  run.epoch_loss_sum = 0;
  run.epoch_correct = 0;
  return sums;
}

// How far the run is before batch b of `epoch` (1-based): 0 at its start, 1 at its end.
double run_fraction(const TrainOptions& o, int epoch, std::size_t b, std::size_t batches) {
  return static_cast<double>((epoch - 1) * batches + b) / static_cast<double>(o.epochs * batches);
}

// Each epoch reseeds dropout and shuffles the identity order, so that the order depends on the
// generator alone.
void begin_epoch(Model& m, const TrainOptions& o, int epoch, std::vector<std::size_t>& order,
                 std::mt19937_64& shuffle_rng) {
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Each rank its own masks (rank 0's are those of a single process).
  const auto rank = static_cast<std::uint64_t>(m.team->rank());
  for (const auto& layer : m.net.layers()) {
    if (auto* drop = dynamic_cast<nn::Dropout*>(layer.get())) {
      drop->reseed(o.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(epoch) +
                   rank * 0xD1B54A32D192ED03ull);
    }
  }
  data::shuffle(order, shuffle_rng);
}

// The run state inside `epoch` after the batches of `sums`: the epoch's generator before its
// shuffle, the batches done and their sums, the state of dropout and the probes.
RunState mid_epoch_state(const RunState& run, Model& m, int epoch, const std::mt19937_64& epoch_rng,
                         const EpochSums& sums) {
  RunState partial = run;
  partial.epochs_done = epoch - 1;
  partial.shuffle_rng = epoch_rng;
  partial.batches_done = sums.batches;
  partial.epoch_loss_sum = sums.loss;
  partial.epoch_correct = sums.correct;
  partial.layer_state = layer_state(m.net, m.probes);
  return partial;
}

// The epoch's record: training loss and accuracy, test (and validation) loss and accuracy, the time
// of the training loop (over the batches this process ran), the probes' diagnostics.
EpochMetrics epoch_metrics(Model& m, const TrainOptions& o, const data::FashionMnist& data,
                           int epoch, const EpochSums& sums, std::size_t first_batch,
                           double seconds) {
  const data::Dataset& set = data.train;
  // At the training batch size: the layers' buffers are already that size, and a larger batch
  // would raise the peak memory (a cnn at 1000 images per batch held 270 MiB).
  const auto test =
      evaluate(m.net, o.model, data.test, std::max<std::size_t>(o.batch, 64), *m.team);
  const std::size_t images = set.count - std::min(set.count, first_batch * o.batch);
  EpochMetrics metrics{
      .epoch = epoch,
      .train_loss = sums.loss / static_cast<double>(set.count),
      .train_acc = static_cast<double>(sums.correct) / static_cast<double>(set.count),
      .test_loss = test.loss,
      .test_acc = test.accuracy,
      .seconds = seconds,
      .images_per_s = static_cast<double>(images) / seconds};
  if (data.validation.count > 0) {
    const auto val =
        evaluate(m.net, o.model, data.validation, std::max<std::size_t>(o.batch, 64), *m.team);
    metrics.val_loss = val.loss;
    metrics.val_acc = val.accuracy;
  }
  sum_probes(m);
  for (auto* p : m.probes) metrics.layers.push_back(p->end_epoch());
  return metrics;
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
  Team one_process;
  return train(options, data, progress, report, stop, one_process, 0);
}

std::vector<EpochMetrics> train(const TrainOptions& options, const data::FashionMnist& data,
                                const BatchProgress& progress, const EpochReport& report,
                                const StopRequest& stop, Team& team, std::size_t bucket_bytes) {
  std::optional<SafetensorsFile> resumed;
  RunState run = starting_state(options, data.train, resumed, team);
  const TrainOptions& o = run.options;
  Model m = build_training_model(run, options.resume, resumed, team, bucket_bytes);
  const bool writes = team.rank() == 0;
  const data::Dataset& set = data.train;
  const std::size_t batches = (set.count + o.batch - 1) / o.batch;
  check_position(run, batches, options.resume);
  const std::string& stop_save = o.save.empty() ? o.interrupt_save : o.save;
  std::vector<std::size_t> order(set.count);
  std::vector<EpochMetrics> history;

  for (int epoch = run.epochs_done + 1; epoch <= o.epochs; ++epoch) {
    const std::mt19937_64 epoch_rng = run.shuffle_rng;  // what a mid-epoch checkpoint stores
    begin_epoch(m, o, epoch, order, run.shuffle_rng);
    // A run resumed in the middle of an epoch continues at the batch after the last one done.
    EpochSums sums = take_position(run);
    if (sums.batches > 0) restore_dropout(m.net, run.layer_state, options.resume);
    const std::size_t first_batch = sums.batches;
    const auto start = std::chrono::steady_clock::now();
    const TeamCounters before = team.counters();
    for (std::size_t b = first_batch; b < batches; ++b) {
      const std::size_t first = b * o.batch, count = std::min(o.batch, set.count - first);
      const double lr = scheduled_lr(o.schedule, m.base_lr, run_fraction(o, epoch, b, batches));
      const bool asked = stop && b + 1 < batches && stop();
      const StepResult step =
          train_step(m, o, set, std::span(order).subspan(first, count), lr, epoch, b + 1, asked);
      sums.add(step.loss_sum, step.correct);
      if (progress) {
        progress(epoch, b + 1, batches, sums.loss / static_cast<double>(first + count));
      }
      if (step.stop && b + 1 < batches) {
        // Saved as it stands after this batch, so that a resumed run takes the very next batch.
        sum_probes(m);
        if (writes && !stop_save.empty()) {
          save_checkpoint(stop_save, m.params, *m.optimizer,
                          mid_epoch_state(run, m, epoch, epoch_rng, sums));
        }
        throw Interrupted(epoch, b + 1, batches, o.epochs, stop_save);
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const TeamCounters after = team.counters();
    history.push_back(epoch_metrics(m, o, data, epoch, sums, first_batch, seconds));
    if (team.size() > 1) {
      auto& h = history.back();
      h.ranks = team.size();
      h.comm_wait_seconds = after.wait_seconds - before.wait_seconds;
      h.comm_bytes_per_step = static_cast<double>(after.bytes_sent - before.bytes_sent) /
                              static_cast<double>(std::max<std::size_t>(1, batches - first_batch));
    }
    history.back().parameter_digest = parameter_digest(m.params);
    check_same_parameters(team, history.back().parameter_digest, epoch);
    run.epochs_done = epoch;
    run.layer_state = layer_state(m.net, m.probes);
    if (writes && !o.save.empty()) save_checkpoint(o.save, m.params, *m.optimizer, run);
    if (report) report(history.back());
    if (stop && epoch < o.epochs && agreed_stop(team, stop())) {
      if (writes && o.save.empty() && !stop_save.empty()) {
        save_checkpoint(stop_save, m.params, *m.optimizer, run);
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

std::vector<float> first_layer_preactivations(const TrainOptions& options, const data::Dataset& set,
                                              std::size_t images,
                                              const std::filesystem::path& checkpoint) {
  if (options.model != "mlp" && options.model != "deep") {
    throw std::invalid_argument(fmt::format(
        "first_layer_preactivations: model '{}' does not start with a Linear layer (mlp, deep)",
        options.model));
  }
  std::vector<float> w, b;
  if (checkpoint.empty()) {
    auto model = build_model(options);
    for (const auto& p : model.params()) {
      if (p.name == "fc1.weight") w.assign(p.value->span().begin(), p.value->span().end());
      if (p.name == "fc1.bias") b.assign(p.value->span().begin(), p.value->span().end());
    }
  } else {
    const auto file = load_safetensors(checkpoint);
    for (const auto* name : {"fc1.weight", "fc1.bias"}) {
      const auto it = file.tensors.find(name);
      if (it == file.tensors.end()) {
        throw CheckpointError(fmt::format("{}: no tensor {}", checkpoint.string(), name));
      }
      (std::string_view(name) == "fc1.weight" ? w : b) = it->second.data;
    }
  }
  const std::size_t n = std::min(images, set.count), in = set.rows * set.cols;
  if (b.empty() || w.size() != b.size() * in) {
    throw CheckpointError(
        fmt::format("first_layer_preactivations: fc1 is {} weights and {} biases "
                    "for {} inputs",
                    w.size(), b.size(), in));
  }
  const std::size_t units = b.size();
  std::vector<std::size_t> indices(n);
  for (std::size_t i = 0; i < n; ++i) indices[i] = i;
  std::vector<float> x(n * in), z(n * units);
  std::vector<std::int32_t> y(n);
  data::fill_batch(set, indices, x, y);  // the inputs as the model sees them
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t u = 0; u < units; ++u) {
      double sum = b[u];
      for (std::size_t k = 0; k < in; ++k) sum += double(w[u * in + k]) * x[i * in + k];
      z[i * units + u] = static_cast<float>(sum);
    }
  }
  return z;
}

}  // namespace rectify::train
