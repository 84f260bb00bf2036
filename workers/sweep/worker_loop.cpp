// The worker side of the sweep protocol.
#include "workers/sweep/worker_loop.h"

#include <iostream>

#include "common/error.h"
#include "orchestrator/mpi_channel.h"
#include "orchestrator/protocol.h"
#include "workers/sweep/task_executor.h"

namespace fineprune {

namespace {

void forward_stop(MPI_Comm group) {
  int size = 0;
  mpi_check(MPI_Comm_size(group, &size), "MPI_Comm_size");
  for (int member = 1; member < size; ++member) send_text(group, member, kTagStop, "");
}

void lead(const ExperimentSpec& spec, MPI_Comm group, const WorkerOptions& options) {
  const std::string prefix = "[rank " + std::to_string(world_rank()) + "] ";
  const LogFn log = [&](const std::string& line) {
    if (!options.quiet) std::cerr << prefix << line << std::endl;
  };
  TaskExecutor executor(spec, options.run_dir, log, options.fail_kind, options.fail_attempts);
  for (;;) {
    send_text(MPI_COMM_WORLD, 0, kTagRequest, "");
    const Message m = wait_receive(MPI_COMM_WORLD, 0);
    if (m.tag == kTagStop) break;
    const Assignment a = decode_assignment(m.text);
    try {
      const TaskOutcome outcome = executor.run(a);
      send_text(MPI_COMM_WORLD, 0, kTagDone, encode_outcome(outcome));
    } catch (const TaskInterrupted&) {
      send_text(MPI_COMM_WORLD, 0, kTagInterrupted, a.task.key);
    } catch (const std::exception& e) {
      send_text(MPI_COMM_WORLD, 0, kTagFailed, encode_failure({a.task.key, host_name(), e.what()}));
    }
  }
  forward_stop(group);
}

}  // namespace

void run_worker(const ExperimentSpec& spec, MPI_Comm group, const WorkerOptions& options) {
  int rank = 0;
  mpi_check(MPI_Comm_rank(group, &rank), "MPI_Comm_rank");
  if (rank == 0) {
    lead(spec, group, options);
  } else {
    while (wait_receive(group, 0).tag != kTagStop) {
    }
  }
}

}  // namespace fineprune
