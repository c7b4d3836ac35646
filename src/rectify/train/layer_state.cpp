#include "rectify/train/layer_state.hpp"

#include <fmt/format.h>
#include <random>
#include <sstream>

#include "rectify/nn/dropout.hpp"
#include "rectify/train/safetensors.hpp"

namespace rectify::train {

std::map<std::string, std::string> layer_state(nn::Sequential& model,
                                               const std::vector<diag::ActivationProbe*>& probes) {
  std::map<std::string, std::string> state;
  for (const auto& layer : model.layers()) {
    if (const auto* drop = dynamic_cast<const nn::Dropout*>(layer.get())) {
      std::ostringstream text;
      text << drop->rng();
      state[layer->name() + ".rng"] = text.str();
    }
  }
  for (const auto* p : probes) state["probe." + p->layer()] = p->save();
  return state;
}

void restore_probes(const std::vector<diag::ActivationProbe*>& probes,
                    const std::map<std::string, std::string>& state, const std::string& file) {
  for (auto* p : probes) {
    const auto it = state.find("probe." + p->layer());
    if (it == state.end()) continue;
    try {
      p->restore(it->second);
    } catch (const std::invalid_argument&) {
      throw CheckpointError(
          fmt::format("{}: __metadata__.state.probe.{} is malformed", file, p->layer()));
    }
  }
}

void restore_dropout(nn::Sequential& model, const std::map<std::string, std::string>& state,
                     const std::string& file) {
  for (const auto& layer : model.layers()) {
    auto* drop = dynamic_cast<nn::Dropout*>(layer.get());
    if (!drop) continue;
    const auto key = layer->name() + ".rng";
    const auto it = state.find(key);
    std::mt19937_64 rng;
    std::istringstream text(it == state.end() ? std::string() : it->second);
    text >> rng;
    if (!text)
      throw CheckpointError(
          fmt::format("{}: __metadata__.state.{} is missing or malformed", file, key));
    drop->set_rng(rng);
  }
}

}  // namespace rectify::train
