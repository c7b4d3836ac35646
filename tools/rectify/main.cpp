// rectify: the command line. See `rectify --help` and README.md.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rectify: the rectified linear unit and its family, exact and fast"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rectify 0.1.0");
  std::vector<std::pair<CLI::App*, rectify::cli::Action>> commands;
  for (auto add : {rectify::cli::add_lab, rectify::cli::add_list, rectify::cli::add_props,
                   rectify::cli::add_eval, rectify::cli::add_bench, rectify::cli::add_train,
                   rectify::cli::add_plot, rectify::cli::add_info}) {
    auto action = add(app);
    commands.emplace_back(app.get_subcommands({}).back(), std::move(action));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, action] : commands) {
      if (sub->parsed()) return action();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "rectify: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
