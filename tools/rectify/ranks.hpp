// The ranks of an MPI launcher (mpirun -np N rectify train|lab ...): the commands that run across
// ranks join the launcher's job here; every other command runs as one process on each rank.
#pragma once

#include "rectify/dist/session.hpp"

namespace rectify::cli {

// How long a rank waits for another before it names it and stops every rank (--rank-timeout).
inline constexpr double kDefaultRankTimeout = 120;

// Joins the launcher's job when an MPI launcher started this process; nullptr when none did.
// std::runtime_error when one did with several ranks and this build has no MPI.
dist::Session* join_ranks(double timeout_seconds);
// The job joined (nullptr: none), and the end of it (MPI_Finalize) before the process exits.
dist::Session* joined_ranks();
void leave_ranks();

// The threads a rank takes by default: the machine's cores shared by its ranks.
int default_rank_threads(const dist::Session& session);

}  // namespace rectify::cli
