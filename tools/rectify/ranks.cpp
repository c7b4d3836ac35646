#include "ranks.hpp"

#include <omp.h>
#include <algorithm>
#include <memory>
#include <stdexcept>

namespace rectify::cli {
namespace {
std::unique_ptr<mpi::Session>& session() {
  static std::unique_ptr<mpi::Session> joined;
  return joined;
}
}  // namespace

mpi::Session* join_ranks(double timeout_seconds) {
  const int size = mpi::launched_size();
  if (size == 0 || (size == 1 && !mpi::available())) return nullptr;
  if (!session()) session() = std::make_unique<mpi::Session>(timeout_seconds);
  return session().get();
}

mpi::Session* joined_ranks() { return session().get(); }

void leave_ranks() { session().reset(); }

int default_rank_threads(const mpi::Session& session) {
  return std::max(1, omp_get_num_procs() / std::max(1, session.local_size()));
}

}  // namespace rectify::cli
