#include "sigint.hpp"

#include <unistd.h>
#include <cstring>

namespace rectify::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
// Written before the handler is installed, read only by it: a plain buffer, as a handler may
// call unlink() but must not touch a std::string being changed.
char g_clean[4096] = {};

extern "C" void on_signal(int sig) {
  if (g_signal == 0) {
    g_signal = sig;
    return;
  }
  // The user insists: end now, as the default action would, but leave no temporary file.
  if (g_clean[0] != '\0') ::unlink(g_clean);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

SigintGuard::SigintGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);  // one handler at a time
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

SigintGuard::~SigintGuard() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_clean[0] = '\0';
}

int SigintGuard::raised() const {
  return g_signal;
}

void SigintGuard::keep_clean(const std::string& path) {
  g_clean[0] = '\0';
  if (path.empty() || path.size() >= sizeof g_clean) return;  // too long: nothing is removed
  std::memcpy(g_clean + 1, path.c_str() + 1, path.size());    // the first byte last: never torn
  g_clean[0] = path[0];
}

}  // namespace rectify::cli
