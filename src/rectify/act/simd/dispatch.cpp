// Compiles every function's SIMD body (functions/) once per SIMD target, and the dispatch from a
// KernelCall to its body; picks the target at run time.
#define RECTIFY_SIMD_BODIES  // the definitions' per-target sections
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rectify/act/simd/dispatch.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "rectify/act/all_functions.hpp"  // generated: every file in functions/
#include "rectify/act/function_list.hpp"
#include "rectify/act/simd/drivers-inl.h"

// Per target: the call's function picks its body.
HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {

void RunKernel(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  if (c.pass == detail::Pass::backward_mask) return BackwardMask(c, begin, end);
#define RECTIFY_BODY_CASE(name) \
  case Fn::name:                \
    return RunBody<Body<Fn::name>>(c, begin, end);
  switch (c.fn) { RECTIFY_FUNCTIONS(RECTIFY_BODY_CASE) }
#undef RECTIFY_BODY_CASE
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

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
