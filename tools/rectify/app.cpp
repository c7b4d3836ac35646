#include "app.hpp"

namespace rectify::cli {

CommandLine make_command_line() {
  CommandLine cli;
  cli.app = std::make_unique<CLI::App>(
      "rectify: the rectified linear unit and its family, exact and fast");
  cli.app->require_subcommand(1);
  cli.app->set_version_flag("--version", "rectify 0.1.0");
  for (auto add :
       {add_lab, add_list, add_props, add_eval, add_bench, add_train, add_plot, add_info}) {
    auto action = add(*cli.app);
    cli.commands.emplace_back(cli.app->get_subcommands({}).back(), std::move(action));
  }
  return cli;
}

int CommandLine::run_parsed() const {
  for (const auto& [sub, action] : commands) {
    if (sub->parsed()) return action();
  }
  return 0;
}

}  // namespace rectify::cli
