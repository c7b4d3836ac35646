#include "ranks.hpp"

#include <omp.h>
#include <algorithm>
#include <memory>
#include <stdexcept>

namespace rectify::cli {
namespace {
std::unique_ptr<dist::Session>& session() {
  static std::unique_ptr<dist::Session> joined;
  return joined;
}
}  // namespace

dist::Session* join_ranks(double timeout_seconds) {
  const int size = dist::launched_size();
  if (size == 0 || (size == 1 && !dist::available())) return nullptr;
  if (!session()) session() = std::make_unique<dist::Session>(timeout_seconds);
  return session().get();
}

dist::Session* joined_ranks() {
  return session().get();
}

void leave_ranks() {
  session().reset();
}

int default_rank_threads(const dist::Session& session) {
  return std::max(1, omp_get_num_procs() / std::max(1, session.local_size()));
}

}  // namespace rectify::cli
