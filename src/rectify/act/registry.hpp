// Metadata of every function: the one table that the spec parser, the CLI, the layers, tests,
// benchmarks, reports and bindings iterate. Each row comes from the function's definition in
// functions/ (definition.hpp); function_list.hpp gives the order.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rectify/act/activation.hpp"

namespace rectify {

struct ParamInfo {
  std::string_view name;
  double default_value;
  double min, max;                          // the allowed range; +-inf for none
  bool min_open = false, max_open = false;  // true: the bound itself is excluded
  std::string_view doc;

  bool allows(double v) const;
  std::string range_text() const;  // "[0, inf)", "(0, inf)", ...
};

// The initializer a layer using the function picks unless told otherwise.
enum class Init { he_normal, he_uniform, lecun_normal, glorot_uniform };
std::string_view init_name(Init init);

// How a layer uses the function.
enum class LayerKind {
  elementwise,    // y has x's shape: fits a Linear, Conv2d or RNN epilogue, or an ActivationLayer
  learned_slope,  // prelu: an ActivationLayer that learns one slope per channel (prelu.hpp)
  channel_pair,   // crelu: an ActivationLayer whose output has twice the channels (crelu.hpp)
};

std::string_view layer_kind_name(LayerKind kind);

struct LayerUse {
  LayerKind kind = LayerKind::elementwise;
  // The gain of He initialisation for a layer before the function; empty: sqrt(2), relu's.
  double (*he_gain)(const Activation&) = nullptr;
  // Dropout before the classifier should be AlphaDropout (it keeps SELU's normalisation).
  bool alpha_dropout = false;
};

// How the peers that bench/compare and the parity tests run spell the function.
struct PeerNames {
  // A PyTorch expression in x and the function's parameter names, F = torch.nn.functional;
  // empty where PyTorch has no such function.
  std::string_view torch;
  // Where rectify deliberately differs from PyTorch (README, "Semantics"): a Python expression
  // in x (the input), pass_ ("forward", "backward") and the parameter names, for the parity
  // test; empty if nowhere.
  std::string_view torch_differs;
  // oneDNN's eltwise algorithm ("eltwise_elu") with its alpha and beta, each a number or a
  // parameter name; empty where oneDNN has none.
  std::string_view onednn, onednn_alpha = "0", onednn_beta = "0";
};

inline bool never(const Activation&) {
  return false;
}
inline bool always(const Activation&) {
  return true;
}

struct FunctionInfo {
  Fn fn;
  std::string_view name;
  std::string_view formula;     // f(x), as text for reports
  std::string_view derivative;  // f'(x), as text for reports
  std::span<const ParamInfo> params = {};
  // Exact: bit-exact against the float reference on every SIMD target (the piecewise-linear
  // family, hardswish). Otherwise the kernels meet the ULP bounds below against the double
  // reference.
  bool exact = false;
  int max_ulp_forward = 0;   // documented accuracy contract, enforced by tests
  int max_ulp_backward = 0;  // (both 0 for the exact functions)
  // Within this distance of a root of f' (e.g. gelu's at x = -0.75), the backward bound is in
  // units of |dy| FLT_EPSILON instead of ULP of dx: there is no relative precision to keep.
  double root_window = 0;
  Init default_init = Init::he_normal;
  // Which saved tensor backward can use, as a function of the parameters.
  bool (*backward_from_output)(const Activation&) = never;
  bool (*mask)(const Activation&) = never;
  // A constraint between parameters: the error message, or empty when the values are valid.
  std::string (*check)(std::span<const double> values) = nullptr;
  // Where the definition switches between pieces, so f' may jump there (finite differences and
  // the tests keep away from them).
  std::vector<double> (*kinks)(const Activation&) = nullptr;
  // Parameterisations beyond the defaults that every suite also covers.
  std::span<const std::string_view> test_specs = {};
  LayerUse layer = {};
  PeerNames peers = {};
};

std::span<const FunctionInfo> registry();
const FunctionInfo& info(Fn fn);
inline const FunctionInfo& info(const Activation& a) {
  return info(a.fn());
}
// nullptr when no function has that name.
const FunctionInfo* find_function(std::string_view name);

// Layer metadata, read from the registry.
inline LayerKind layer_kind(const Activation& a) {
  return info(a).layer.kind;
}
// Fits a Linear, Conv2d or RNN epilogue (y = f(z), same shape).
inline bool fusable(const Activation& a) {
  return layer_kind(a) == LayerKind::elementwise;
}
// Output elements per input element (crelu: 2).
inline std::size_t width_factor(const Activation& a) {
  return layer_kind(a) == LayerKind::channel_pair ? 2 : 1;
}
double he_gain(const Activation& a);
// Throws std::invalid_argument naming `layer` when the function cannot be fused into it.
void require_fusable(std::string_view layer, const Activation& a);
// The kinks of f (empty for a smooth function).
std::vector<double> kinks(const Activation& a);

}  // namespace rectify
