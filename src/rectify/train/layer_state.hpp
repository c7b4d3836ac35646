// What layers and probes carry from one batch to the next besides the parameters: dropout's
// generator and the diagnostics' running sums, as text by name ("dropout.rng", "probe.fc1"), so
// that a checkpoint taken in the middle of an epoch resumes exactly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rectify/diag/probe.hpp"
#include "rectify/nn/sequential.hpp"

namespace rectify::train {

std::map<std::string, std::string> layer_state(nn::Sequential& model,
                                               const std::vector<diag::ActivationProbe*>& probes);

// The probes as a checkpoint left them; a probe with no entry (a run saved without diagnostics)
// is left alone. CheckpointError naming `file` for a malformed entry.
void restore_probes(const std::vector<diag::ActivationProbe*>& probes,
                    const std::map<std::string, std::string>& state, const std::string& file);

// Dropout's generators as a mid-epoch checkpoint left them. CheckpointError naming `file` when
// one is missing or malformed.
void restore_dropout(nn::Sequential& model, const std::map<std::string, std::string>& state,
                     const std::string& file);

}  // namespace rectify::train
