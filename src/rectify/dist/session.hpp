// Joining the job of an MPI launcher (mpirun, mpiexec, srun): the process becomes one rank of a
// Team. A build without MPI compiles no_mpi.cpp instead of session.cpp: the same calls, and a
// plain error when a launcher started the program.
#pragma once

#include <memory>
#include <string>

#include "rectify/train/team.hpp"

namespace rectify::dist {

// Whether this build has MPI, and which ("Open MPI v4.1.4, ..."; "absent: built without MPI").
bool available();
std::string library_version();

// The rank count an MPI launcher gave this process in its environment (Open MPI's
// OMPI_COMM_WORLD_SIZE, or MPICH's PMI_SIZE); 0 when no launcher started it.
int launched_size();
// This process's rank in it (0 without a launcher): before MPI starts, so that a usage error is
// printed once, by rank 0, not by every rank.
int launched_rank();

class Session {
 public:
  // Joins the launcher's job (MPI_Init_thread, funneled: only the main thread calls MPI). The
  // team's exchanges give up after `timeout_seconds` without a message from a rank, naming it.
  // std::runtime_error in a build without MPI.
  explicit Session(double timeout_seconds);
  ~Session();  // MPI_Finalize
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  train::Team& team();
  // The ranks on this machine (they share its cores).
  int local_size() const;
  // Ends every rank of the job (MPI_Abort): after an error only some ranks saw, the others would
  // wait for them forever.
  [[noreturn]] void abort(int status);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rectify::dist
