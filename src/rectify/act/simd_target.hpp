// Which SIMD instruction set the kernels run on. Chosen at run time from what the CPU supports;
// tests and benchmarks can pin any compiled target.
#pragma once

#include <string>
#include <vector>

namespace rectify::simd {

// The target the kernels use now, e.g. "AVX2".
std::string current_target();
// Every compiled target that this CPU can run, best first.
std::vector<std::string> available_targets();
// Pins the kernels to one of available_targets(); throws std::invalid_argument otherwise.
void force_target(const std::string& name);
// Back to the best target the CPU supports.
void reset_target();

}  // namespace rectify::simd
