// The worker side of the sweep protocol.
#include "workers/sweep/worker_loop.h"

#include <iostream>

#include "common/error.h"
#include "messaging/mpi_channel.h"
#include "messaging/protocol.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/sweep/task_executor.h"

namespace fineprune {

namespace {

void to_members(MPI_Comm group, int tag, const std::string& text) {
  int size = 0;
  mpi_check(MPI_Comm_size(group, &size), "MPI_Comm_size");
  for (int member = 1; member < size; ++member) send_text(group, member, tag, text);
}

// How a task ended for the whole group: the same on every rank of it.
struct GroupOutcome {
  TaskOutcome outcome;      // rank 0's rows, when the task succeeded
  std::string failure;      // the group's error, "" when none
  bool interrupted = false;
};

// Runs one task on this rank together with its group. A group of several ranks agrees on how it
// ended (workers/parallel/peer_failure.h), so a task that fails on one rank only ends on every
// rank instead of leaving them waiting in a collective.
GroupOutcome run_together(TaskExecutor& executor, AllReduce* group, const Assignment& assignment) {
  GroupOutcome out;
  std::string own_failure;
  if (group) group->begin_task();
  try {
    out.outcome = executor.run(assignment);
  } catch (const TaskInterrupted&) {
    out.interrupted = true;  // every rank stops at the same epoch (an all-reduced flag)
  } catch (const PeerFailed&) {
    // Another rank's error: end_task() brings it here.
  } catch (const std::exception& e) {
    own_failure = *e.what() != '\0' ? e.what() : "an error without a message";
  } catch (...) {
    own_failure = "an exception that is not a std::exception";
  }
  out.failure = group ? group->end_task(own_failure) : own_failure;
  // A failure may have struck some ranks after they cached a model or a pruning plan and others
  // before: the caches decide which collectives a rank makes, so they must agree. Drop them.
  if (!out.failure.empty()) executor.forget_models();
  return out;
}

void lead(TaskExecutor& executor, AllReduce* parallel, MPI_Comm group) {
  for (;;) {
    send_text(MPI_COMM_WORLD, 0, kTagRequest, "");
    const Message m = wait_receive(MPI_COMM_WORLD, 0);
    if (m.tag == kTagStop) break;
    const Assignment a = decode_assignment(m.text);
    to_members(group, kTagAssign, m.text);
    const GroupOutcome o = run_together(executor, parallel, a);
    if (!o.failure.empty()) {
      send_text(MPI_COMM_WORLD, 0, kTagFailed, encode_failure({a.task.key, host_name(), o.failure}));
    } else if (o.interrupted) {
      send_text(MPI_COMM_WORLD, 0, kTagInterrupted, a.task.key);
    } else {
      send_text(MPI_COMM_WORLD, 0, kTagDone, encode_outcome(o.outcome));
    }
  }
  to_members(group, kTagStop, "");
}

// A member runs what its leader passes on; the leader reports the group's outcome.
void follow(TaskExecutor& executor, AllReduce* parallel, MPI_Comm group) {
  for (;;) {
    const Message m = wait_receive(group, 0);
    if (m.tag == kTagStop) break;
    run_together(executor, parallel, decode_assignment(m.text));
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
  TaskExecutor executor(spec, options.run_dir, log, parallel.context, options.fault);
  if (rank == 0) {
    lead(executor, parallel.all_reduce.get(), group);
  } else {
    follow(executor, parallel.all_reduce.get(), group);
  }
}

}  // namespace fineprune
