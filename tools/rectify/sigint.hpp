// Ctrl-C during a long command: while a SigintGuard lives, SIGINT only raises a flag that the
// command polls, so it can finish its step and save. A second Ctrl-C ends the process at once.
#pragma once

#include <csignal>

namespace rectify::cli {

class SigintGuard {
 public:
  SigintGuard();   // installs the handler
  ~SigintGuard();  // puts back the one before
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

  bool raised() const;

 private:
  struct sigaction previous_ {};
};

}  // namespace rectify::cli
