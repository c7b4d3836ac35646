#include "sigint.hpp"

namespace rectify::cli {
namespace {

volatile std::sig_atomic_t g_sigint = 0;

extern "C" void on_sigint(int) {
  g_sigint = 1;
}

}  // namespace

SigintGuard::SigintGuard() {
  g_sigint = 0;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  // The handler runs once: the next Ctrl-C takes the default action (the user insists).
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &previous_);
}

SigintGuard::~SigintGuard() {
  sigaction(SIGINT, &previous_, nullptr);
}

bool SigintGuard::raised() const {
  return g_sigint != 0;
}

}  // namespace rectify::cli
