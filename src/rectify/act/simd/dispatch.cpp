// Compiles kernels-inl.h once per SIMD target and picks one at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/act/simd/dispatch.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "rectify/act/simd/kernels-inl.h"

#if HWY_ONCE
#include <fmt/format.h>
#include <cstdint>
#include <stdexcept>

#include "hwy/targets.h"
#include "rectify/act/simd_target.hpp"

namespace rectify {
HWY_EXPORT(RunKernel);

namespace detail {
void run_kernel(const KernelCall& call, std::size_t begin, std::size_t end) {
  HWY_DYNAMIC_DISPATCH(RunKernel)(call, begin, end);
}
}  // namespace detail

namespace simd {
namespace {
std::int64_t pinned = 0;  // 0: none, the best supported target runs
}  // namespace

std::string current_target() {
  // The dispatch table picks the best of these; report the same choice.
  const auto targets = hwy::SupportedAndGeneratedTargets();
  return targets.empty() ? "none" : hwy::TargetName(targets.front());
}

std::vector<std::string> available_targets() {
  std::vector<std::string> names;
  hwy::SetSupportedTargetsForTest(0);  // list what the CPU really supports
  for (const auto t : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(t));
  hwy::SetSupportedTargetsForTest(pinned);
  return names;
}

void force_target(const std::string& name) {
  hwy::SetSupportedTargetsForTest(0);
  for (const auto t : hwy::SupportedAndGeneratedTargets()) {
    if (name == hwy::TargetName(t)) {
      pinned = t;
      hwy::SetSupportedTargetsForTest(t);
      return;
    }
  }
  hwy::SetSupportedTargetsForTest(pinned);
  std::string known;
  for (const auto& n : available_targets()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument(
      fmt::format("SIMD target '{}' is not available here; available: {}", name, known));
}

void reset_target() {
  pinned = 0;
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace simd
}  // namespace rectify
#endif  // HWY_ONCE
