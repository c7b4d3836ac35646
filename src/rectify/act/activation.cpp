#include "rectify/act/activation.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "rectify/act/registry.hpp"

namespace rectify {
namespace {

std::string known_names() {
  std::string out;
  for (const auto& f : registry()) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

double parse_number(std::string_view fn, std::string_view param, std::string_view text) {
  text = trim(text);
  if (text == "inf" || text == "+inf") return HUGE_VAL;
  if (text == "-inf") return -HUGE_VAL;
  double v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw std::invalid_argument(
        fmt::format("{}: parameter {} expects a number, got '{}'", fn, param, text));
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// Checks each value against its range and the constraints between parameters.
void validate(const FunctionInfo& f, const std::array<double, kMaxParams>& values) {
  for (std::size_t i = 0; i < f.params.size(); ++i) {
    const auto& p = f.params[i];
    if (!p.allows(values[i])) {
      // The kernels compute in float: 0, +-inf or a normal float (see registry.cpp).
      const double m = std::fabs(values[i]);
      const bool not_float =
          m > 0 && std::isfinite(m) &&
          (m < std::numeric_limits<float>::min() || m > std::numeric_limits<float>::max()) &&
          values[i] >= p.min && values[i] <= p.max;  // in range, but not as a float
      throw std::invalid_argument(fmt::format(
          "{}: parameter {} must be in {}{}, got {}", f.name, p.name, p.range_text(),
          not_float ? " and be 0 or a normal float (magnitude from 1.1754943508222875e-38 to "
                      "3.4028234663852886e+38), as the float kernels hold it"
                    : "",
          values[i]));
    }
  }
  if (f.check) {
    const std::string error = f.check(std::span<const double>(values).first(f.params.size()));
    if (!error.empty()) throw std::invalid_argument(error);
  }
}

}  // namespace

Activation::Activation() : Activation(Fn::relu) {}

Activation::Activation(Fn fn, std::initializer_list<double> values) : fn_(fn) {
  const auto& f = info(fn);
  if (values.size() > f.params.size()) {
    throw std::invalid_argument(
        fmt::format("{}: takes {} parameter(s), got {}", f.name, f.params.size(), values.size()));
  }
  for (std::size_t i = 0; i < f.params.size(); ++i) values_[i] = f.params[i].default_value;
  std::size_t i = 0;
  for (double v : values) values_[i++] = v;
  validate(f, values_);
}

Activation::Activation(Fn fn, const std::array<double, kMaxParams>& values)
    : fn_(fn), values_(values) {
  validate(info(fn), values_);
}

Activation Activation::parse(std::string_view spec) {
  spec = trim(spec);
  const auto colon = spec.find(':');
  const auto name = trim(spec.substr(0, colon));
  const FunctionInfo* f = find_function(name);
  if (f == nullptr) {
    throw std::invalid_argument(
        fmt::format("unknown activation '{}'; known: {}", name, known_names()));
  }
  std::array<double, kMaxParams> values{};
  for (std::size_t i = 0; i < f->params.size(); ++i) values[i] = f->params[i].default_value;
  if (colon == std::string_view::npos) return Activation(f->fn, values);

  const auto args = split(spec.substr(colon + 1), ',');
  if (args.size() > f->params.size()) {
    throw std::invalid_argument(fmt::format("{}: takes {} parameter(s), got {} in '{}'", f->name,
                                            f->params.size(), args.size(), spec));
  }
  std::vector<bool> given(f->params.size(), false);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto eq = args[i].find('=');
    std::size_t index = i;
    std::string_view value = args[i];
    if (eq != std::string_view::npos) {
      const auto key = trim(args[i].substr(0, eq));
      value = args[i].substr(eq + 1);
      index = f->params.size();
      for (std::size_t k = 0; k < f->params.size(); ++k) {
        if (f->params[k].name == key) index = k;
      }
      if (index == f->params.size()) {
        std::string names;
        for (const auto& p : f->params)
          names += fmt::format("{}{}", names.empty() ? "" : ", ", p.name);
        throw std::invalid_argument(fmt::format("{}: unknown parameter '{}'; known: {}", f->name,
                                                key, names.empty() ? "none" : names));
      }
    }
    if (given[index]) {
      throw std::invalid_argument(
          fmt::format("{}: parameter {} given twice", f->name, f->params[index].name));
    }
    given[index] = true;
    values[index] = parse_number(f->name, f->params[index].name, value);
  }
  return Activation(f->fn, values);
}

std::string_view Activation::name() const {
  return info(fn_).name;
}

double Activation::param(std::string_view name) const {
  const auto& f = info(fn_);
  for (std::size_t i = 0; i < f.params.size(); ++i) {
    if (f.params[i].name == name) return values_[i];
  }
  throw std::invalid_argument(fmt::format("{}: no parameter named '{}'", f.name, name));
}

std::string Activation::to_string() const {
  const auto& f = info(fn_);
  std::string out(f.name);
  for (std::size_t i = 0; i < f.params.size(); ++i) {
    out += fmt::format("{}{}={}", i == 0 ? ':' : ',', f.params[i].name, values_[i]);
  }
  return out;
}

bool Activation::has_backward_from_output() const {
  return info(fn_).backward_from_output(*this);
}
bool Activation::has_mask() const {
  return info(fn_).mask(*this);
}

}  // namespace rectify
