// What a worker rank does during a sweep. The leader of each group asks the master for tasks
// (orchestrator/protocol.h), runs them, and reports rows or failures; the other ranks of the group
// wait for the leader's stop. (Data-parallel training across a group's ranks is a later stage:
// until then a group's members idle, polling, without using a core.)
#pragma once

#include <mpi.h>

#include <string>

#include "common/experiment_spec.h"

namespace fineprune {

struct WorkerOptions {
  std::string run_dir;
  bool quiet = false;
  std::string fail_kind;  // test-only fault injection, see TaskExecutor
  int fail_attempts = 0;
};

// `group`: this rank's worker-group communicator (rank 0 in it is the leader).
void run_worker(const ExperimentSpec& spec, MPI_Comm group, const WorkerOptions& options);

}  // namespace fineprune
