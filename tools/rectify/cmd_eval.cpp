// rectify eval SPEC X...: the value (or gradient) at given points, as the SIMD kernels compute it.
#include <fmt/format.h>
#include <string>
#include <vector>

#include "commands.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

Action add_eval(CLI::App& app) {
  struct Args {
    std::string spec, pass = "forward";
    std::vector<double> x;
    double dy = 1.0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a function or its gradient at points");
  cmd->add_option("spec", args->spec, "Function spec, e.g. relu, leaky_relu:0.2, elu:alpha=0.5")
      ->required();
  cmd->add_option("x", args->x, "Points (nan, inf and -inf are accepted)")->required();
  cmd->add_option("--pass", args->pass, "forward | backward | backward_output")
      ->check(CLI::IsMember({"forward", "backward", "backward_output"}));
  cmd->add_option("--dy", args->dy, "Upstream gradient for the backward passes");
  return [args] {
    const auto a = Activation::parse(args->spec);
    const std::size_t n = args->x.size();
    std::vector<float> x(n), y(width_factor(a) * n), dy(y.size(), 0), dx(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(args->x[i]);
    for (auto& v : dy) v = static_cast<float>(args->dy);
    forward(a, x, y);
    if (args->pass == "backward") backward(a, x, dy, dx);
    if (args->pass == "backward_output") backward_from_output(a, y, dy, dx);
    for (std::size_t i = 0; i < n; ++i) {
      if (args->pass != "forward") {
        fmt::print("{}\t{}\n", x[i], dx[i]);
      } else if (width_factor(a) == 2) {
        fmt::print("{}\t{}\t{}\n", x[i], y[i], y[n + i]);
      } else {
        fmt::print("{}\t{}\n", x[i], y[i]);
      }
    }
    return 0;
  };
}

}  // namespace rectify::cli
