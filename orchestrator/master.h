// The sweep master (rank 0): a thin MPI adapter around the Scheduler. It owns the result file
// (the single writer), hands tasks to worker-group leaders, records outcomes as they arrive and
// prints progress. Trains nothing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <mpi.h>

#include "common/experiment_spec.h"
#include "common/task.h"

namespace fineprune {

struct MasterOptions {
  std::string out_path;
  bool fresh = false;          // start a new file even if one of another sweep is there
  int max_attempts = 3;
  double progress_interval_s = 10;
  bool quiet = false;
  bool json_progress = false;
  std::string shard = "all";   // the root attribute "shard": "I/K", or "all" for a whole sweep
  int fail_after_outcomes = 0;  // test only: throw once this many outcomes are written (0: never)
  // More root attributes of the result file (the libraries' versions, from the command line).
  std::map<std::string, std::string> attributes;
};

// Runs the sweep to the end. `leaders` are the world ranks of the group leaders; group g is
// leaders[g]. Returns the exit code: 0 when every task is done, 1 when some failed or were blocked,
// kExitInterrupted (3) when a stop was requested (common/stop_request.h) before the end.
// On an error before any work (e.g. an output file of another sweep) it stops every leader and
// rethrows. On an error later (the result file cannot be written, a malformed message) the
// leaders cannot be stopped cleanly: it says so and calls MPI_Abort (exit code 1), after the
// result file was closed; what was recorded stays, and the same command resumes.
//
// Stopping (preemption, a time limit): once stop_requested() is true, or a leader reports a task
// interrupted (its rank got the signal, so the job is going down), the master hands out no more
// tasks and answers every request with kTagStop. Tasks already running end as they end: Done
// (rows written), Failed (retried next time) or Interrupted (back to pending, no attempt used,
// resumed by the next run from the state the task saved). When every leader is stopped, the file
// is flushed and closed; re-running the same command resumes.
int run_master(const ExperimentSpec& spec, const std::vector<Task>& tasks,
               const std::vector<int>& leaders, const MasterOptions& options);

}  // namespace fineprune
