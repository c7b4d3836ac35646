#include "rectify/act/registry.hpp"

#include <fmt/format.h>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "rectify/act/all_functions.hpp"  // generated: every file in functions/
#include "rectify/act/function_list.hpp"

namespace rectify {
namespace {

#define RECTIFY_REGISTRY_ROW(name) def::name::info,
constexpr FunctionInfo kRegistry[] = {RECTIFY_FUNCTIONS(RECTIFY_REGISTRY_ROW)};
constexpr bool rows_in_list_order() {
  for (std::size_t i = 0; i < std::size(kRegistry); ++i) {
    if (static_cast<std::size_t>(kRegistry[i].fn) != i) return false;
  }
  return true;
}
static_assert(rows_in_list_order(), "a definition's info.fn must be its own Fn");
#undef RECTIFY_REGISTRY_ROW

constexpr double kFltMax = def::kFltMax;
constexpr double kFltMin = def::kFltMin;

// 0, +-inf, or a normal float: what the kernels hold as the double reference does.
bool fits_float(double v) {
  const double m = std::fabs(v);
  return v == 0 || std::isinf(v) || (m >= kFltMin && m <= kFltMax);
}

std::string bound_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

}  // namespace

bool ParamInfo::allows(double v) const {
  if (std::isnan(v)) return false;
  if (!fits_float(v)) return false;
  if (min_open ? !(v > min) : !(v >= min)) return false;
  if (max_open ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string ParamInfo::range_text() const {
  return fmt::format("{}{}, {}{}", min_open ? '(' : '[', bound_text(min), bound_text(max),
                     max_open ? ')' : ']');
}

std::string_view init_name(Init init) {
  switch (init) {
    case Init::he_normal:
      return "he_normal";
    case Init::he_uniform:
      return "he_uniform";
    case Init::lecun_normal:
      return "lecun_normal";
    case Init::glorot_uniform:
      return "glorot_uniform";
  }
  return "?";
}

std::string_view layer_kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::elementwise:
      return "elementwise";
    case LayerKind::learned_slope:
      return "learned_slope";
    case LayerKind::channel_pair:
      return "channel_pair";
  }
  return "?";
}

std::span<const FunctionInfo> registry() {
  return kRegistry;
}

const FunctionInfo& info(Fn fn) {
  const auto i = static_cast<std::size_t>(fn);
  if (i >= std::size(kRegistry)) throw std::invalid_argument("rectify: not a function");
  return kRegistry[i];
}

const FunctionInfo* find_function(std::string_view name) {
  for (const auto& f : kRegistry) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double he_gain(const Activation& a) {
  const auto gain = info(a).layer.he_gain;
  return gain ? gain(a) : def::relu_gain(a);
}

void require_fusable(std::string_view layer, const Activation& a) {
  if (fusable(a)) return;
  throw std::invalid_argument(fmt::format(
      "{}: {} cannot be fused into the layer ({}); add an ActivationLayer after it", layer,
      a.to_string(),
      layer_kind(a) == LayerKind::channel_pair ? "it doubles the channels"
                                               : "its slopes are parameters of their own"));
}

std::vector<double> kinks(const Activation& a) {
  const auto k = info(a).kinks;
  return k ? k(a) : std::vector<double>{};
}

}  // namespace rectify
