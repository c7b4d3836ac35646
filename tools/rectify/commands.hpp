// The subcommands of the rectify CLI. Each registers its options on the app and returns the
// action to run when it is chosen. Commands parse, call the library and print; nothing more.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace rectify::cli {

using Action = std::function<int()>;

Action add_list(CLI::App& app);
Action add_eval(CLI::App& app);
Action add_bench(CLI::App& app);
Action add_info(CLI::App& app);
Action add_lab(CLI::App& app);
Action add_train(CLI::App& app);
Action add_plot(CLI::App& app);
Action add_props(CLI::App& app);

}  // namespace rectify::cli
