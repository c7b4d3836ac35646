// Ctrl-C (SIGINT) or SIGTERM (timeout, kill, systemd, batch schedulers) during a long command:
// while a SigintGuard lives, either signal only raises a flag that the command polls, so it can
// finish its step and save. A second signal ends the process at once, after removing the
// temporary file of a checkpoint being written (see keep_clean), so nothing is left half-written.
#pragma once

#include <csignal>
#include <string>

namespace rectify::cli {

class SigintGuard {
 public:
  SigintGuard();   // installs the handler for SIGINT and SIGTERM
  ~SigintGuard();  // puts back the ones before
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

  // The signal received (SIGINT or SIGTERM), 0 while none was.
  int raised() const;
  // A file the second signal removes before the process ends: a checkpoint's FILE.tmp.
  void keep_clean(const std::string& path);

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace rectify::cli
