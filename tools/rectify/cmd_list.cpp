// rectify list: every function with its formula, parameters and what its backward needs.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "commands.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

namespace {

// FLT_MAX and FLT_MIN by name, as the README writes them.
std::string short_bounds(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 22, "3.4028234663852886e+38") == 0) {
      out += "FLT_MAX";
      i += 22;
    } else if (text.compare(i, 22, "1.1754943508222875e-38") == 0) {
      out += "FLT_MIN";
      i += 22;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string saved_tensors(const Activation& a) {
  std::string out = "input";
  if (a.has_backward_from_output()) out += ", output";
  if (a.has_mask()) out += ", 1-bit mask";
  return out;
}

// The README's function table, from the registry.
void print_function_table() {
  fmt::print(
      "| name | f(x) | parameters (default, range) | backward from (at the defaults) | "
      "accuracy: forward / backward |\n| --- | --- | --- | --- | --- |\n");
  for (const auto& f : registry()) {
    const Activation a(f.fn);
    std::string params;
    for (const auto& p : f.params) {
      params += fmt::format("{}{} ({}, {})", params.empty() ? "" : ", ", p.name, p.default_value,
                            short_bounds(p.range_text()));
    }
    const std::string accuracy =
        f.exact ? "bit-exact"
                : fmt::format("{} ULP / {} ULP", f.max_ulp_forward, f.max_ulp_backward);
    fmt::print("| {} | {} | {} | {} | {} |\n", f.name, f.formula, params.empty() ? "—" : params,
               saved_tensors(a), accuracy);
  }
}

std::string value_text(float v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return std::signbit(v) ? "-0" : "+0";
  return fmt::format("{}", v);
}

// The README's semantics table: every function at its defaults, computed by the kernels (for
// crelu the first half), so that it cannot drift from what they do.
void print_semantics_table() {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-0.0f, std::numeric_limits<float>::quiet_NaN(), inf, -inf};
  const std::vector<float> at_zero = {0.0f, std::numeric_limits<float>::quiet_NaN(), inf, -inf};
  fmt::print(
      "| function | f(-0) | f(NaN) | f(+inf) | f(-inf) | f'(0) | f'(NaN) | f'(+inf) | "
      "f'(-inf) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& f : registry()) {
    const Activation a(f.fn);
    const std::size_t n = x.size();
    std::vector<float> y(width_factor(a) * n), dy(y.size(), 1.0f), dx(n);
    forward(a, x, y);
    backward(a, at_zero, dy, dx);
    std::string row = fmt::format("| {} |", f.name);
    for (std::size_t i = 0; i < n; ++i) row += fmt::format(" {} |", value_text(y[i]));
    for (std::size_t i = 0; i < n; ++i) row += fmt::format(" {} |", value_text(dx[i]));
    fmt::print("{}\n", row);
  }
}

}  // namespace

Action add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List every function: formula, parameters, backward");
  auto json = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  auto semantics = std::make_shared<bool>(false);
  auto* json_flag = cmd->add_flag("--json", *json, "One JSON object per function");
  cmd->add_flag("--markdown", *markdown, "The README's function table")->excludes(json_flag);
  cmd->add_flag("--semantics", *semantics,
                "The README's semantics table: f and f' at -0, NaN and +-inf, computed by the "
                "kernels")
      ->excludes(json_flag);
  return [json, markdown, semantics] {
    if (*markdown) print_function_table();
    if (*semantics) print_semantics_table();
    if (*markdown || *semantics) return 0;
    for (const auto& f : registry()) {
      const Activation a(f.fn);
      if (*json) {
        nlohmann::ordered_json j;
        j["name"] = f.name;
        j["formula"] = f.formula;
        j["derivative"] = f.derivative;
        for (const auto& p : f.params) {
          j["params"].push_back({{"name", p.name},
                                 {"default", p.default_value},
                                 {"range", p.range_text()},
                                 {"doc", p.doc}});
        }
        j["exact"] = f.exact;
        j["max_ulp_forward"] = f.max_ulp_forward;
        j["max_ulp_backward"] = f.max_ulp_backward;
        j["backward_from_output"] = a.has_backward_from_output();
        j["mask"] = a.has_mask();
        j["init"] = init_name(f.default_init);
        j["root_window"] = f.root_window;
        j["test_specs"] = std::vector<std::string_view>(f.test_specs.begin(), f.test_specs.end());
        j["layer"] = {{"kind", layer_kind_name(f.layer.kind)},
                      {"width_factor", width_factor(a)},
                      {"he_gain", he_gain(a)},
                      {"alpha_dropout", f.layer.alpha_dropout}};
        // The peers' names, for bench/compare and the parity tests (null: the peer has none).
        const auto text = [](std::string_view s) {
          return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
        };
        j["peers"] = {{"torch", text(f.peers.torch)},
                      {"torch_differs", text(f.peers.torch_differs)},
                      {"onednn", text(f.peers.onednn)},
                      {"onednn_alpha", f.peers.onednn_alpha},
                      {"onednn_beta", f.peers.onednn_beta}};
        fmt::print("{}\n", j.dump());
        continue;
      }
      fmt::print("{:<11} {}\n", f.name, f.formula);
      fmt::print("{:<11} f'(x) = {}\n", "", f.derivative);
      for (const auto& p : f.params) {
        fmt::print("{:<11} {} = {} in {}: {}\n", "", p.name, p.default_value, p.range_text(),
                   p.doc);
      }
      std::string saves = a.has_mask()                   ? "1-bit mask, output or input"
                          : a.has_backward_from_output() ? "output or input"
                                                         : "input";
      fmt::print("{:<11} backward from: {}; {}; init {}\n\n", "", saves,
                 f.exact ? "bit-exact"
                         : fmt::format("<= {} ULP forward, {} backward", f.max_ulp_forward,
                                       f.max_ulp_backward),
                 init_name(f.default_init));
    }
    return 0;
  };
}

}  // namespace rectify::cli
