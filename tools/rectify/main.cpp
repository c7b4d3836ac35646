// rectify: the command line. See `rectify --help` and README.md.
#include <fmt/format.h>
#include <cstdio>
#include <exception>

#include "app.hpp"

int main(int argc, char** argv) {
  const auto cli = rectify::cli::make_command_line();
  try {
    cli.app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.app->exit(e);
  }
  try {
    return cli.run_parsed();
  } catch (const std::exception& e) {
    fmt::print(stderr, "rectify: error: {}\n", e.what());
    return 1;
  }
}
