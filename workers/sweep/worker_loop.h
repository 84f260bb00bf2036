// What a worker rank does during a sweep. The leader of each group asks the master for tasks
// (messaging/protocol.h) and passes each one on to the group's other ranks over the group
// communicator; every rank of the group then runs it together, training and evaluating
// data-parallel (workers/parallel/), and the leader alone reports rows, failures or interruptions.
// Between tasks the members wait in a polling receive, without using a core.
#pragma once

#include <mpi.h>

#include <string>

#include "common/experiment_spec.h"
#include "workers/sweep/task_executor.h"

namespace fineprune {

struct WorkerOptions {
  std::string run_dir;
  bool quiet = false;
  FaultInjection fault;  // test only, see task_executor.h
};

// `group`: this rank's worker-group communicator (rank 0 in it is the leader). Throws
// ConfigError when the sweep's parallel.backend cannot be had here (see all_reduce_factory.h).
//
// A task that fails on one rank of a group only (a file one node cannot read, a device error)
// ends on every rank of it: the leader reports that rank's error to the master, which retries the
// task as any other failure (workers/parallel/peer_failure.h).
void run_worker(const ExperimentSpec& spec, MPI_Comm group, const WorkerOptions& options);

}  // namespace fineprune
