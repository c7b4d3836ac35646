// The JSON object of `rectify props --json`, one function's properties. Shared by the command
// line and the Python package (rectify.props), so that both print the same fields.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "rectify/act/properties.hpp"

namespace rectify::cli {

// JSON has no infinity: an unbounded end or an infinite parameter is null.
inline nlohmann::ordered_json json_number(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

inline nlohmann::ordered_json to_json(const Properties& p) {
  nlohmann::ordered_json j;
  j["name"] = p.activation.name();
  j["spec"] = p.activation.to_string();
  j["formula"] = p.formula;
  j["derivative"] = p.derivative;
  j["params"] = nlohmann::ordered_json::object();
  for (const auto& [name, value] : p.params) j["params"][std::string(name)] = json_number(value);
  j["range"] = {{"text", p.range.text()},
                {"lower", json_number(p.range.lower.value)},
                {"lower_closed", p.range.lower.closed},
                {"upper", json_number(p.range.upper.value)},
                {"upper_closed", p.range.upper.closed},
                {"bounded_below", p.range.bounded_below()},
                {"bounded_above", p.range.bounded_above()}};
  j["monotonic"] = monotonicity_name(p.monotonicity);
  j["continuous"] = p.continuous;
  j["derivative_continuous"] = p.derivative_continuous;
  j["points"] = nlohmann::ordered_json::array();
  for (const auto& s : p.points) {
    j["points"].push_back({{"x", s.x},
                           {"continuous", s.continuous},
                           {"jump", s.jump},
                           {"left_derivative", s.left_derivative},
                           {"right_derivative", s.right_derivative},
                           {"differentiable", s.differentiable},
                           {"backward", s.backward}});
  }
  j["saturates_left"] = p.saturates_left;
  j["saturates_right"] = p.saturates_right;
  j["normal_input"] = {{"samples", p.normal.samples},
                       {"mean", p.normal.mean},
                       {"stddev", p.normal.stddev},
                       {"zero_centred", p.zero_centred()},
                       {"zero_fraction", p.normal.zero_fraction},
                       {"zero_gradient_fraction", p.normal.zero_gradient_fraction}};
  j["cost"] = nullptr;
  if (p.cost) {
    j["cost"] = {{"target", p.cost->target},
                 {"size", p.cost->size},
                 {"ns_per_element", p.cost->ns_per_element},
                 {"relu_ns_per_element", p.cost->relu_ns_per_element},
                 {"ratio_to_relu", p.cost->ratio_to_relu}};
  }
  j["init"] = p.default_init;
  return j;
}

}  // namespace rectify::cli
