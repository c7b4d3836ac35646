// rectify's elementwise kernels as a PyTorch operator with its autograd in C++ (torch.ops.rectify):
// forward and backward of rectify.torch.Activation run without Python in the step. Loaded by
// rectify.torch with torch.ops.load_library where it was built (python3-torch's headers found).
//
// An activation is registered once (its spec parsed and checked) and named by its index after.
// The saved tensor follows the registry: the 1-bit mask for the piecewise-linear family, else y
// or x. Inputs are CPU float32 (rectify.torch checks that first, with its own messages).
#include <torch/autograd.h>
#include <torch/library.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>

#include "rectify/rectify.hpp"

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

enum Saved : std::int64_t { kMask = 0, kOutput = 1, kInput = 2 };

// Registered activations, by index; a deque keeps references valid as it grows.
std::mutex registry_mutex;
std::deque<rectify::Activation>& registered() {
  static std::deque<rectify::Activation> all;
  return all;
}

std::int64_t register_activation(const std::string& spec) {
  const rectify::Activation act = rectify::Activation::parse(spec);  // invalid_argument if bad
  const std::lock_guard<std::mutex> lock(registry_mutex);
  registered().push_back(act);
  return static_cast<std::int64_t>(registered().size()) - 1;
}

const rectify::Activation& activation(std::int64_t id) {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  TORCH_CHECK(id >= 0 && id < static_cast<std::int64_t>(registered().size()),
              "rectify: no activation registered as ", id);
  return registered()[static_cast<std::size_t>(id)];
}

std::span<const float> floats(const torch::Tensor& t) {
  return {t.data_ptr<float>(), static_cast<std::size_t>(t.numel())};
}
std::span<float> floats_out(torch::Tensor& t) {
  return {t.data_ptr<float>(), static_cast<std::size_t>(t.numel())};
}

void check_input(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == torch::kFloat32, "rectify: ", what,
              " must be a CPU float32 tensor; got ", t.scalar_type(), " on ", t.device());
}

class Elementwise : public torch::autograd::Function<Elementwise> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, std::int64_t id,
                               std::int64_t saved) {
    check_input(input, "x");
    const rectify::Activation& act = activation(id);
    const torch::Tensor x = input.contiguous();
    torch::Tensor y = torch::empty_like(x, torch::MemoryFormat::Contiguous);
    if (saved == kMask) {
      TORCH_CHECK(act.has_mask(), "rectify: ", act.to_string(), " keeps no mask");
      torch::Tensor mask = torch::empty(
          {static_cast<std::int64_t>(rectify::mask_bytes(static_cast<std::size_t>(x.numel())))},
          torch::kUInt8);
      rectify::forward_with_mask(
          act, floats(x), floats_out(y),
          {mask.data_ptr<std::uint8_t>(), static_cast<std::size_t>(mask.numel())});
      ctx->save_for_backward({mask});
    } else {
      rectify::forward(act, floats(x), floats_out(y));
      ctx->save_for_backward({saved == kOutput ? y : x});
    }
    ctx->saved_data["id"] = id;
    ctx->saved_data["saved"] = saved;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    // Backward runs rectify's kernels, which autograd cannot differentiate: a graph of the
    // gradient (create_graph=True, double backward) would be silently wrong, so it is refused.
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "rectify.torch: the backward pass is not differentiable (double backward, "
                "create_graph=True); use PyTorch's module for that");
    const rectify::Activation& act = activation(ctx->saved_data["id"].toInt());
    const std::int64_t saved = ctx->saved_data["saved"].toInt();
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dx = torch::empty_like(dy, torch::MemoryFormat::Contiguous);
    const torch::Tensor kept = ctx->get_saved_variables()[0];
    if (saved == kMask) {
      rectify::backward_from_mask(
          act, {kept.data_ptr<std::uint8_t>(), static_cast<std::size_t>(kept.numel())}, floats(dy),
          floats_out(dx));
    } else if (saved == kOutput) {
      rectify::backward_from_output(act, floats(kept), floats(dy), floats_out(dx));
    } else {
      rectify::backward(act, floats(kept), floats(dy), floats_out(dx));
    }
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor apply_activation(const torch::Tensor& x, std::int64_t id, std::int64_t saved) {
  return Elementwise::apply(x, id, saved);
}

// This library is a copy of rectify's own, apart from the one in rectify._rectify: the Python
// package forwards its settings here (rectify.set_num_threads, rectify.set_simd_target).
void set_simd_target(const std::string& name) {
  if (name.empty()) {
    rectify::simd::reset_target();
  } else {
    rectify::simd::force_target(name);
  }
}

}  // namespace

TORCH_LIBRARY(rectify, m) {
  m.def("register_activation(str spec) -> int", &register_activation);
  m.def("activation(Tensor x, int id, int saved) -> Tensor", &apply_activation);
  m.def("set_num_threads(int n) -> ()", [](std::int64_t n) {
    rectify::set_num_threads(static_cast<int>(std::clamp<std::int64_t>(n, 0, 1 << 16)));
  });
  m.def("set_simd_target(str name) -> ()", &set_simd_target);
  m.def("num_threads() -> int", []() -> std::int64_t { return rectify::num_threads(); });
}
