// The worker side of the sweep protocol.
#include "workers/sweep/worker_loop.h"

#include <iostream>

#include "common/error.h"
#include "orchestrator/mpi_channel.h"
#include "orchestrator/protocol.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/sweep/task_executor.h"

namespace fineprune {

namespace {

void to_members(MPI_Comm group, int tag, const std::string& text) {
  int size = 0;
  mpi_check(MPI_Comm_size(group, &size), "MPI_Comm_size");
  for (int member = 1; member < size; ++member) send_text(group, member, tag, text);
}

void lead(TaskExecutor& executor, MPI_Comm group) {
  for (;;) {
    send_text(MPI_COMM_WORLD, 0, kTagRequest, "");
    const Message m = wait_receive(MPI_COMM_WORLD, 0);
    if (m.tag == kTagStop) break;
    const Assignment a = decode_assignment(m.text);
    to_members(group, kTagAssign, m.text);
    try {
      const TaskOutcome outcome = executor.run(a);
      send_text(MPI_COMM_WORLD, 0, kTagDone, encode_outcome(outcome));
    } catch (const TaskInterrupted&) {
      send_text(MPI_COMM_WORLD, 0, kTagInterrupted, a.task.key);
    } catch (const std::exception& e) {
      send_text(MPI_COMM_WORLD, 0, kTagFailed, encode_failure({a.task.key, host_name(), e.what()}));
    }
  }
  to_members(group, kTagStop, "");
}

// A member runs what its leader passes on; the leader reports the outcome.
void follow(TaskExecutor& executor, MPI_Comm group) {
  for (;;) {
    const Message m = wait_receive(group, 0);
    if (m.tag == kTagStop) break;
    try {
      executor.run(decode_assignment(m.text));
    } catch (const std::exception&) {
      // The leader met the same failure (or the same stop) and reports it.
    }
  }
}

}  // namespace

void run_worker(const ExperimentSpec& spec, MPI_Comm group, const WorkerOptions& options) {
  int rank = 0;
  mpi_check(MPI_Comm_rank(group, &rank), "MPI_Comm_rank");
  const GroupParallel parallel =
      make_group_parallel(spec.parallel.backend, spec.parallel.bucket_mb, group, spec.source_file);
  const std::string prefix = "[rank " + std::to_string(world_rank()) + "] ";
  // Members train alongside the leader; only the leader logs.
  const bool log_here = rank == 0 && !options.quiet;
  const LogFn log = [&](const std::string& line) {
    if (log_here) std::cerr << prefix << line << std::endl;
  };
  TaskExecutor executor(spec, options.run_dir, log, parallel.context, options.fail_kind, options.fail_attempts);
  if (rank == 0) {
    lead(executor, group);
  } else {
    follow(executor, group);
  }
}

}  // namespace fineprune
