// The sweep master (rank 0): a thin MPI adapter around the Scheduler. It owns the result file
// (the single writer), hands tasks to worker-group leaders, records outcomes as they arrive and
// prints progress. Trains nothing.
#pragma once

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
};

// Runs the sweep to the end. `leaders` are the world ranks of the group leaders; group g is
// leaders[g]. Returns the exit code: 0 when every task is done, 1 when some failed or were blocked.
// On an error before any work (e.g. an output file of another sweep) it stops every leader and
// rethrows.
int run_master(const ExperimentSpec& spec, const std::vector<Task>& tasks,
               const std::vector<int>& leaders, const MasterOptions& options);

}  // namespace fineprune
