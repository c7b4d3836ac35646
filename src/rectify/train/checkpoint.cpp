#include "rectify/train/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <bit>
#include <charconv>
#include <cmath>
#include <sstream>

#include "rectify/act/activation.hpp"

namespace rectify::train {
namespace {

std::vector<std::size_t> shape_of(const nn::Shape& s) {
  return std::vector<std::size_t>(s.dims.begin(), s.dims.begin() + static_cast<long>(s.rank));
}

const std::string& field(const SafetensorsFile& f, const std::string& name,
                         const std::string& key) {
  const auto it = f.metadata.find(key);
  if (it == f.metadata.end()) {
    throw CheckpointError(fmt::format("{}: __metadata__ has no '{}'", name, key));
  }
  return it->second;
}

template <class T>
T number(const SafetensorsFile& f, const std::string& name, const std::string& key) {
  const std::string& text = field(f, name, key);
  T v{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw CheckpointError(
        fmt::format("{}: __metadata__.{} = '{}' is not a number", name, key, text));
  }
  return v;
}

void copy_into(const SafetensorsFile& f, const std::string& name, const std::string& key,
               std::span<float> dst, const std::vector<std::size_t>& shape) {
  const auto it = f.tensors.find(key);
  if (it == f.tensors.end()) {
    throw CheckpointError(fmt::format("{}: tensor '{}' is missing", name, key));
  }
  if (it->second.shape != shape) {
    throw CheckpointError(fmt::format("{}: tensor '{}' has shape [{}], the model expects [{}]",
                                      name, key, fmt::join(it->second.shape, ", "),
                                      fmt::join(shape, ", ")));
  }
  std::copy(it->second.data.begin(), it->second.data.end(), dst.begin());
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const std::vector<nn::Param>& params,
                     Optimizer& optimizer, const RunState& run) {
  const TrainOptions& o = run.options;
  std::ostringstream rng;
  rng << run.shuffle_rng;
  std::map<std::string, std::string> metadata = {
      {"format", "rectify-checkpoint-1"},
      {"model", o.model},
      {"activation", Activation::parse(o.activation).to_string()},
      {"optimizer", o.optimizer},
      {"lr", fmt::format("{}", o.lr)},
      {"momentum", fmt::format("{}", o.momentum)},
      {"weight_decay", fmt::format("{}", o.weight_decay)},
      {"schedule", o.schedule},
      {"batch", fmt::format("{}", o.batch)},
      {"seed", fmt::format("{}", o.seed)},
      {"epochs", fmt::format("{}", o.epochs)},
      {"identity_init", o.identity_init ? "1" : "0"},
      {"max_grad_norm", fmt::format("{}", o.max_grad_norm)},
      {"dropout", fmt::format("{}", o.dropout)},
      {"epochs_done", fmt::format("{}", run.epochs_done)},
      {"optimizer_steps", fmt::format("{}", optimizer.steps())},
      {"shuffle_rng", rng.str()},
      {"batches_done", fmt::format("{}", run.batches_done)},
      {"epoch_loss_sum", fmt::format("{}", std::bit_cast<std::uint64_t>(run.epoch_loss_sum))},
      {"epoch_correct", fmt::format("{}", run.epoch_correct)}};
  for (const auto& [key, text] : run.layer_state) metadata["state." + key] = text;
  std::vector<TensorView> tensors;
  for (const auto& p : params) {
    tensors.push_back({p.name, shape_of(p.value->shape()), p.value->span()});
  }
  for (const auto& s : optimizer.state(params)) {
    tensors.push_back({s.name, {s.values->size()}, *s.values});
  }
  save_safetensors(path, metadata, tensors);
}

RunState read_run_state(const SafetensorsFile& f, const std::string& name) {
  if (field(f, name, "format") != "rectify-checkpoint-1") {
    throw CheckpointError(
        fmt::format("{}: not a rectify checkpoint (format '{}')", name, field(f, name, "format")));
  }
  RunState run;
  TrainOptions& o = run.options;
  o.model = field(f, name, "model");
  o.activation = field(f, name, "activation");
  o.optimizer = field(f, name, "optimizer");
  o.schedule = field(f, name, "schedule");
  o.lr = number<double>(f, name, "lr");
  o.momentum = number<double>(f, name, "momentum");
  o.weight_decay = number<double>(f, name, "weight_decay");
  o.batch = number<std::size_t>(f, name, "batch");
  o.seed = number<std::uint64_t>(f, name, "seed");
  o.epochs = number<int>(f, name, "epochs");
  const std::string& identity = field(f, name, "identity_init");
  if (identity != "0" && identity != "1") {
    throw CheckpointError(
        fmt::format("{}: __metadata__.identity_init = '{}': expected 0 or 1", name, identity));
  }
  o.identity_init = identity == "1";
  o.max_grad_norm = number<double>(f, name, "max_grad_norm");
  o.dropout = number<double>(f, name, "dropout");
  run.epochs_done = number<int>(f, name, "epochs_done");
  std::istringstream rng(field(f, name, "shuffle_rng"));
  rng >> run.shuffle_rng;
  if (!rng) throw CheckpointError(fmt::format("{}: __metadata__.shuffle_rng is malformed", name));
  // Checkpoints written before mid-epoch saves existed have none of these: an epoch boundary.
  if (f.metadata.contains("batches_done")) {
    run.batches_done = number<std::size_t>(f, name, "batches_done");
    run.epoch_loss_sum = std::bit_cast<double>(number<std::uint64_t>(f, name, "epoch_loss_sum"));
    run.epoch_correct = number<std::size_t>(f, name, "epoch_correct");
  }
  for (const auto& [key, text] : f.metadata) {
    if (key.starts_with("state.")) run.layer_state[key.substr(6)] = text;
  }
  // Every option as the command line would check it: a file is no more trusted than a user.
  try {
    check_options(o);
  } catch (const std::invalid_argument& e) {
    throw CheckpointError(fmt::format("{}: __metadata__.{}", name, e.what()));
  }
  if (!std::isfinite(run.epoch_loss_sum) || run.epoch_loss_sum < 0) {
    throw CheckpointError(
        fmt::format("{}: __metadata__.epoch_loss_sum = {}: expected a finite sum "
                    "of losses, at least 0",
                    name, run.epoch_loss_sum));
  }
  if (run.epochs_done < 0 || run.epochs_done > o.epochs ||
      (run.batches_done > 0 && run.epochs_done == o.epochs)) {
    throw CheckpointError(fmt::format(
        "{}: __metadata__ is inconsistent: {} of {} epochs done, {} batches into the next", name,
        run.epochs_done, o.epochs, run.batches_done));
  }
  return run;
}

void restore_checkpoint(const SafetensorsFile& f, const std::string& name,
                        const std::vector<nn::Param>& params, Optimizer& optimizer) {
  std::size_t expected = 0;
  for (const auto& p : params) {
    copy_into(f, name, p.name, p.value->span(), shape_of(p.value->shape()));
    ++expected;
  }
  for (const auto& s : optimizer.state(params)) {
    copy_into(f, name, s.name, *s.values, {s.values->size()});
    ++expected;
  }
  if (f.tensors.size() != expected) {
    throw CheckpointError(fmt::format("{}: {} tensors, the model and optimizer have {}", name,
                                      f.tensors.size(), expected));
  }
  const auto steps = number<std::int64_t>(f, name, "optimizer_steps");
  if (steps < 0) {
    throw CheckpointError(
        fmt::format("{}: __metadata__.optimizer_steps = {}: expected at least 0", name, steps));
  }
  optimizer.set_steps(steps);
}

}  // namespace rectify::train
