// The lab across the ranks of a team (mpirun -np N rectify lab): one more launcher for the lab's
// shards and run records.
#pragma once

#include "rectify/lab/studies.hpp"
#include "rectify/train/team.hpp"

namespace rectify::lab {

// Each rank runs its shard of the plan (shard_assignment: the longest runs first, the ranks'
// totals within one run of each other), storing its records in options.records; then rank 0
// receives every rank's records (the folders need not be shared), stores those it lacks and
// assembles the results of the whole plan: the same numbers as one process running it. The
// other ranks return their shard's counts only. LabInterrupted on every rank when any rank was
// stopped (the finished runs are kept). options.records must name a folder; options.shard and
// shards are the team's.
LabResults run_lab_across(const LabPlan& plan, const data::FashionMnist& data,
                          const LabProgress& progress, LabRunOptions options, train::Team& team);

}  // namespace rectify::lab
