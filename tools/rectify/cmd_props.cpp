// rectify props SPEC... | --all: each function's checklist (range, monotonicity, kinks, smoothness,
// saturation, N(0, 1) statistics, cost), measured from its scalar definition.
#include <fmt/format.h>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "props_json.hpp"
#include "rectify/act/properties.hpp"
#include "rectify/rectify.hpp"
#include "rectify/timing/cost.hpp"

namespace rectify::cli {
namespace {

std::string number(double v) {
  return fmt::format("{:.6g}", v);
}

std::string_view yes_no(bool b) {
  return b ? "yes" : "no";
}

// Where f' -> 0: "left" (x -> -inf), "right" (x -> +inf), "both" or "no".
std::string_view saturation_side(const Properties& p) {
  if (p.saturates_left && p.saturates_right) return "both";
  if (p.saturates_left) return "left";
  if (p.saturates_right) return "right";
  return "no";
}

std::string params_text(const Properties& p) {
  std::string out;
  for (const auto& [name, value] : p.params) {
    out += fmt::format("{}{} = {}", out.empty() ? "" : ", ", name, value);
  }
  return out.empty() ? "none" : out;
}

std::string point_text(const SpecialPoint& s) {
  std::string out = s.continuous ? "" : fmt::format("jumps by {}; ", number(s.jump));
  out +=
      fmt::format("f' from the left {}, from the right {}: {}; backward gives {}",
                  number(s.left_derivative), number(s.right_derivative),
                  s.differentiable ? "differentiable" : "not differentiable", number(s.backward));
  return out;
}

void print_text(const Properties& p) {
  constexpr auto row = "  {:<15} {}\n";
  fmt::print("{}: {}\n", p.activation.to_string(), p.formula);
  fmt::print(row, "f'(x)", p.derivative);
  fmt::print(row, "parameters", params_text(p));
  fmt::print(row, "range", p.range.text());
  fmt::print(row, "monotonic", monotonicity_name(p.monotonicity));
  fmt::print(
      row, "continuous",
      fmt::format("{}; f' continuous: {}", yes_no(p.continuous), yes_no(p.derivative_continuous)));
  for (const auto& s : p.points) {
    fmt::print(row, fmt::format("at x = {}", number(s.x)), point_text(s));
  }
  const std::string_view side = saturation_side(p);
  fmt::print(row, "saturates",
             side == "both"    ? "both sides: f' -> 0 as x -> -inf and as x -> +inf"
             : side == "left"  ? "left: f' -> 0 as x -> -inf"
             : side == "right" ? "right: f' -> 0 as x -> +inf"
                               : "no");
  const auto& n = p.normal;
  fmt::print(row, "x ~ N(0, 1)",
             fmt::format("mean {}, std {}{}", number(n.mean), number(n.stddev),
                         p.zero_centred() ? " (zero-centred)" : ""));
  fmt::print(row, "",
             fmt::format("outputs exactly 0: {:.1f}%, gradients exactly 0: {:.1f}%",
                         100 * n.zero_fraction, 100 * n.zero_gradient_fraction));
  if (p.cost) {
    fmt::print(
        row, "cost",
        fmt::format("{:.3f} ns/element forward, {:.2f}x relu ({}, {} floats, 1 thread)",
                    p.cost->ns_per_element, p.cost->ratio_to_relu, p.cost->target, p.cost->size));
  }
  fmt::print(row, "init", p.default_init);
}

// The points where f is not differentiable, as "x (f' left, right)", or "x (jump J)".
std::string kinks_cell(const Properties& p) {
  std::string out;
  for (const auto& s : p.points) {
    if (s.differentiable) continue;
    if (!out.empty()) out += "; ";
    out += s.continuous ? fmt::format("{} ({}, {})", number(s.x), number(s.left_derivative),
                                      number(s.right_derivative))
                        : fmt::format("{} (jump {})", number(s.x), number(s.jump));
  }
  return out.empty() ? "—" : out;
}

void print_markdown_header(bool timing) {
  fmt::print(
      "| function | range | monotonic | continuous | f' continuous | kinks: x (f' left, right) | "
      "saturates | mean | std | zeros | zero grad |{} init |\n",
      timing ? " ns/elem | vs relu |" : "");
  std::string separator = "|";
  for (int i = 0; i < (timing ? 14 : 12); ++i) separator += " --- |";
  fmt::print("{}\n", separator);
}

void print_markdown_row(const Properties& p) {
  std::string cost;
  if (p.cost) {
    cost = fmt::format(" {:.3f} | {:.2f}x |", p.cost->ns_per_element, p.cost->ratio_to_relu);
  }
  fmt::print("| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f}% | {:.1f}% |{} {} |\n",
             p.activation.to_string(), p.range.text(), monotonicity_name(p.monotonicity),
             yes_no(p.continuous), yes_no(p.derivative_continuous), kinks_cell(p),
             saturation_side(p), number(p.normal.mean), number(p.normal.stddev),
             100 * p.normal.zero_fraction, 100 * p.normal.zero_gradient_fraction, cost,
             p.default_init);
}

}  // namespace

Action add_props(CLI::App& app) {
  struct Args {
    std::vector<std::string> specs;
    bool all = false, json = false, markdown = false, no_timing = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "props",
      "Each function's properties, measured from its definition: range, monotonicity, "
      "kinks, smoothness, saturation, statistics on N(0, 1) input, cost");
  auto* specs = cmd->add_option("spec", args->specs, "Function specs, e.g. relu elu:alpha=0.5");
  cmd->add_flag("--all", args->all, "Every registered function with its defaults")->excludes(specs);
  auto* json = cmd->add_flag("--json", args->json, "One JSON object per function, one per line");
  cmd->add_flag("--markdown", args->markdown, "A Markdown table, one row per function")
      ->excludes(json);
  cmd->add_flag("--no-timing", args->no_timing, "Skip the cost measurement");
  return [args] {
    std::vector<Activation> activations;
    for (const auto& spec : args->specs) activations.push_back(Activation::parse(spec));
    if (args->all) {
      for (const auto& f : registry()) activations.emplace_back(f.fn);
    }
    if (activations.empty()) {
      throw std::invalid_argument("props: name at least one function, or give --all");
    }
    const PropertyOptions options{.cost = args->no_timing ? nullptr : timing::cost_probe()};
    if (args->markdown) print_markdown_header(!args->no_timing);
    for (std::size_t i = 0; i < activations.size(); ++i) {
      const auto p = measure_properties(activations[i], options);
      if (args->json) {
        fmt::print("{}\n", to_json(p).dump());
      } else if (args->markdown) {
        print_markdown_row(p);
      } else {
        if (i > 0) fmt::print("\n");
        print_text(p);
      }
    }
    return 0;
  };
}

}  // namespace rectify::cli
