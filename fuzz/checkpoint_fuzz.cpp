// The checkpoint reader on arbitrary bytes: the safetensors layout, then everything a resumed run
// reads from it (the run state, the tensors restored into the model and optimizer it describes,
// the diagnostics' saved state). Any input may be rejected with CheckpointError; nothing else may
// happen. The same bytes read from a file (load_safetensors reads the header first, then only what
// it announces) must give the same result as from memory.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>

#include "rectify/act/activation.hpp"
#include "rectify/diag/probe.hpp"
#include "rectify/nn/dropout.hpp"
#include "rectify/nn/linear.hpp"
#include "rectify/nn/sequential.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/layer_state.hpp"

namespace {

using namespace rectify;

// A model shaped like the seeds' MLP with dropout, only tiny (4 -> 3 -> 2), so that a checkpoint
// small enough to mutate fast can be restored in full; built once: restoring overwrites it.
struct Target {
  nn::Sequential model;
  std::unique_ptr<train::Optimizer> optimizer;
  diag::ActivationProbe probe{"fc1", Activation::parse("relu")};  // the name its state is under

  Target() {
    std::mt19937_64 rng(1);
    model.add(std::make_unique<nn::Linear>("fc1", 4, 3, Activation::parse("relu"), rng));
    model.add(std::make_unique<nn::Dropout>("dropout", 0.5, 1));
    model.add(std::make_unique<nn::Linear>("fc2", 3, 2, std::nullopt, rng));
    optimizer = train::make_optimizer("adam", 0, 0.9, 0);
  }
};

// What reading the bytes gives: the file, or the CheckpointError's message without the name.
std::optional<train::SafetensorsFile> outcome(const auto& read) {
  try {
    return read();
  } catch (const train::CheckpointError&) {
    return std::nullopt;
  }
}

// The bytes as a file in memory, read by path as --resume reads a checkpoint.
std::optional<train::SafetensorsFile> load_from_file(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("fuzz", 0);
  if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  auto result =
      outcome([&] { return train::load_safetensors("/proc/self/fd/" + std::to_string(fd)); });
  ::close(fd);
  return result;
}

bool same(const train::SafetensorsFile& a, const train::SafetensorsFile& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end() || it->second.shape != t.shape ||
        (!t.data.empty() &&
         std::memcmp(it->second.data.data(), t.data.data(), t.data.size() * sizeof(float)) != 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target target;
  const auto from_memory =
      outcome([&] { return train::parse_safetensors(std::span(data, size), "fuzz"); });
  const auto from_file = load_from_file(data, size);
  if (from_memory.has_value() != from_file.has_value()) std::abort();
  if (from_memory && !same(*from_memory, *from_file)) std::abort();
  try {
    const auto file = train::parse_safetensors(std::span(data, size), "fuzz");
    const auto run = train::read_run_state(file, "fuzz");
    train::restore_checkpoint(file, "fuzz", target.model.params(), *target.optimizer);
    train::restore_probes({&target.probe}, run.layer_state, "fuzz");
    train::restore_dropout(target.model, run.layer_state, "fuzz");
  } catch (const train::CheckpointError&) {
  }
  return 0;
}
