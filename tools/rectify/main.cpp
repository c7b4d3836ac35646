// rectify: the command line. See `rectify --help` and README.md.
#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "app.hpp"
#include "ranks.hpp"
#include "rectify/train/trainer.hpp"

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

// An error while running: on one process, printed, with its status. On several ranks, an error
// every rank meets at the same point (a refused option, a diverged run: decided from numbers all
// ranks share) is printed by rank 0 and every rank ends normally; any other error may be one
// rank's alone, so that rank prints it and ends every rank (the others would wait for it).
int failed(const std::exception& e, int status, bool every_rank_meets_it) {
  std::fflush(stdout);
  auto* ranks = rectify::cli::joined_ranks();
  if (ranks == nullptr || ranks->team().size() == 1) {
    fmt::print(stderr, "rectify: error: {}\n", e.what());
    rectify::cli::leave_ranks();
    return status;
  }
  const auto& team = ranks->team();
  if (every_rank_meets_it) {
    if (team.rank() == 0) fmt::print(stderr, "rectify: error: {}\n", e.what());
    rectify::cli::leave_ranks();
    return status;
  }
  fmt::print(stderr, "rectify: error on rank {} of {}: {}\n", team.rank(), team.size(), e.what());
  std::fflush(stderr);
  ranks->abort(status);
}

}  // namespace

int main(int argc, char** argv) {
  const auto cli = rectify::cli::make_command_line();
  try {
    cli.app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank of mpirun parses the same line: rank 0 alone prints what is wrong with it.
    if (rectify::dist::launched_rank() > 0) return e.get_exit_code() == 0 ? 0 : kUsageError;
    const int status = cli.app->exit(e);  // prints the message (or --help, --version)
    return flushed(status == 0 ? 0 : kUsageError);
  }
  try {
    const int status = flushed(cli.run_parsed());
    rectify::cli::leave_ranks();
    return status;
  } catch (const std::invalid_argument& e) {  // a value from the command line, refused
    return failed(e, kUsageError, true);
  } catch (const rectify::train::DivergedError& e) {
    return failed(e, 1, true);
  } catch (const std::exception& e) {
    return failed(e, 1, false);
  }
}
