// rectify: the command line. See `rectify --help` and README.md.
#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "app.hpp"

namespace {

// Exit statuses: 0 done, 1 an error while running (a bad file, a failed write), 2 a usage error
// (an unknown option, a value out of range, a bad activation spec: std::invalid_argument from
// what the command line gave), 130 and 143 interrupted by SIGINT or SIGTERM.
constexpr int kUsageError = 2;

// Output that never reached its file is an error: a full disk or a closed pipe must not exit 0.
int flushed(int status) {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    const int error = errno;
    fmt::print(stderr, "rectify: error: writing standard output: {}\n",
               error != 0 ? std::strerror(error) : "write failed");
    return status == 0 ? 1 : status;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const auto cli = rectify::cli::make_command_line();
  try {
    cli.app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = cli.app->exit(e);  // prints the message (or --help, --version)
    return flushed(status == 0 ? 0 : kUsageError);
  }
  try {
    return flushed(cli.run_parsed());
  } catch (const std::invalid_argument& e) {  // a value from the command line, refused
    std::fflush(stdout);
    fmt::print(stderr, "rectify: error: {}\n", e.what());
    return kUsageError;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "rectify: error: {}\n", e.what());
    return 1;
  }
}
