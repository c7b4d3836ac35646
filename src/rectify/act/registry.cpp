#include "rectify/act/registry.hpp"

#include <fmt/format.h>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace rectify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// The kernels compute in float: a parameter beyond float's range would become infinite there
// (and 0 * inf NaN) while the double reference stays finite, and one below FLT_MIN would lose
// its precision or become 0 (then 0 * -inf is NaN). Every value is 0, +-inf where the range
// allows it, or a normal float (ParamInfo::allows); the ranges below say the rest.
constexpr double kFltMax = std::numeric_limits<float>::max();
constexpr double kFltMin = std::numeric_limits<float>::min();
// alpha scales exp(x), which underflows in float near x = -104 where the double reference does
// not: up to this alpha what is lost there stays below FLT_MIN (and celu's x / alpha stays a
// normal float for every |x| >= 1.2e-32).
constexpr double kMaxAlpha = 1e6;

constexpr ParamInfo kNegativeSlope{"negative_slope",  0.01, -kFltMax, kFltMax, false, false,
                                   "slope for x <= 0"};
constexpr ParamInfo kPreluInit{
    "init", 0.25, -kFltMax, kFltMax, false, false, "initial value of the learned slope for x <= 0"};
constexpr ParamInfo kEluAlpha{
    "alpha", 1.0, 0.0, kMaxAlpha, false, false, "value approached as x -> -inf is -alpha"};
constexpr ParamInfo kCeluAlpha{
    "alpha", 1.0, kFltMin, kMaxAlpha, false, false, "value approached as x -> -inf is -alpha"};
constexpr ParamInfo kKeras[] = {
    {"negative_slope", 0.0, 0.0, kFltMax, false, false, "slope below the threshold"},
    {"max_value", kInf, 0.0, kInf, false, false, "output is clipped to this value"},
    {"threshold", 0.0, -kFltMax, kFltMax, false, false, "below it the negative slope applies"},
};
constexpr ParamInfo kSoftplus[] = {
    {"beta", 1.0, kFltMin, kFltMax, false, false, "sharpness: softplus(beta x) / beta"},
    {"threshold", 20.0, -kFltMax, kFltMax, false, false, "linear (y = x) where beta x > threshold"},
};

bool never(const Activation&) {
  return false;
}
bool always(const Activation&) {
  return true;
}
bool slope_non_negative(const Activation& a) {
  return a.param(0) >= 0.0;
}
bool keras_from_output(const Activation& a) {
  return a.param(0) >= 0.0 && a.param(2) >= 0.0;
}
bool keras_mask(const Activation& a) {
  return a.param(0) == 0.0 || std::isinf(a.param(1));
}

const FunctionInfo kRegistry[] = {
    {Fn::relu,
     "relu",
     "max(0, x)",
     "x > 0 ? 1 : 0",
     {},
     true,
     0,
     0,
     Init::he_normal,
     always,
     always},
    {Fn::leaky_relu,
     "leaky_relu",
     "x > 0 ? x : negative_slope * x",
     "x > 0 ? 1 : negative_slope",
     {&kNegativeSlope, 1},
     true,
     0,
     0,
     Init::he_normal,
     slope_non_negative,
     always},
    {Fn::prelu,
     "prelu",
     "x > 0 ? x : a * x (a learned, shared or per channel)",
     "x > 0 ? 1 : a;  d/da = x > 0 ? 0 : x",
     {&kPreluInit, 1},
     true,
     0,
     0,
     Init::he_normal,
     slope_non_negative,
     always},
    {Fn::elu,
     "elu",
     "x > 0 ? x : alpha * (exp(x) - 1)",
     "x > 0 ? 1 : alpha * exp(x)",
     {&kEluAlpha, 1},
     false,
     2,
     2,
     Init::he_normal,
     always,
     never},
    {Fn::selu,
     "selu",
     "scale * (x > 0 ? x : alpha * (exp(x) - 1))",
     "scale * (x > 0 ? 1 : alpha * exp(x))",
     {},
     false,
     2,
     2,
     Init::lecun_normal,
     always,
     never},
    {Fn::celu,
     "celu",
     "x > 0 ? x : alpha * (exp(x / alpha) - 1)",
     "x > 0 ? 1 : exp(x / alpha)",
     {&kCeluAlpha, 1},
     false,
     2,
     2,
     Init::he_normal,
     always,
     never},
    {Fn::relu6,
     "relu6",
     "min(max(0, x), 6)",
     "0 < x < 6 ? 1 : 0",
     {},
     true,
     0,
     0,
     Init::he_normal,
     always,
     always},
    {Fn::keras_relu, "keras_relu",
     "x >= max_value ? max_value : x >= threshold ? x : negative_slope * (x - threshold)",
     "x >= max_value ? 0 : x > threshold ? 1 : negative_slope", kKeras, true, 0, 0, Init::he_normal,
     keras_from_output, keras_mask},
    {Fn::crelu,
     "crelu",
     "[max(0, x), max(0, -x)] (doubles the channel axis)",
     "[x > 0 ? 1 : 0, x < 0 ? -1 : 0]",
     {},
     true,
     0,
     0,
     Init::he_normal,
     never,
     never},
    {Fn::sigmoid,
     "sigmoid",
     "1 / (1 + exp(-x))",
     "f(x) (1 - f(x))",
     {},
     false,
     3,
     4,
     Init::glorot_uniform,
     always,
     never},
    {Fn::tanh,
     "tanh",
     "tanh(x)",
     "1 - tanh(x)^2",
     {},
     false,
     4,
     4,
     Init::glorot_uniform,
     always,
     never},
    {Fn::gelu_erf,
     "gelu_erf",
     "x * Phi(x) = x / 2 * (1 + erf(x / sqrt(2)))",
     "Phi(x) + x * phi(x)",
     {},
     false,
     4,
     4,
     Init::he_normal,
     never,
     never,
     0.75},
    {Fn::gelu_tanh,
     "gelu_tanh",
     "x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))",
     "d/dx of f(x)",
     {},
     false,
     4,
     8,
     Init::he_normal,
     never,
     never,
     0.75},
    {Fn::silu,
     "silu",
     "x * sigmoid(x)",
     "s (1 + x (1 - s)), s = sigmoid(x)",
     {},
     false,
     4,
     4,
     Init::he_normal,
     never,
     never,
     0.5},
    {Fn::softplus, "softplus", "beta x > threshold ? x : log(1 + exp(beta x)) / beta",
     "beta x > threshold ? 1 : sigmoid(beta x)", kSoftplus, false, 4, 4, Init::he_normal, never,
     never},
};

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

std::span<const FunctionInfo> registry() {
  return kRegistry;
}

const FunctionInfo& info(Fn fn) {
  for (const auto& f : kRegistry) {
    if (f.fn == fn) return f;
  }
  throw std::logic_error("rectify: function missing from the registry");
}

const FunctionInfo* find_function(std::string_view name) {
  for (const auto& f : kRegistry) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace rectify
