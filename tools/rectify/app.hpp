// The rectify command line as one object: every subcommand registered on a CLI11 app. main()
// parses argv and runs the chosen command; the command-line fuzz target only parses.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <utility>
#include <vector>

#include "commands.hpp"

namespace rectify::cli {

struct CommandLine {
  std::unique_ptr<CLI::App> app;
  std::vector<std::pair<CLI::App*, Action>> commands;

  // Runs the action of the subcommand that was parsed; its exit status.
  int run_parsed() const;
};

CommandLine make_command_line();

}  // namespace rectify::cli
