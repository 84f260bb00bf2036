// `fineprune run` (the MPI sweep) and `fineprune plan` (its dry run).
#pragma once

#include <string>

namespace fineprune {

struct RunOptions {
  std::string spec_path;
  std::string out_path;   // default: <sweep name>.h5
  std::string run_dir;    // default: <out without .h5>.run
  int ranks_per_worker = 1;
  int threads = 0;        // 0: this node's cores / its training ranks
  int max_attempts = 3;
  double progress_interval_s = 10;
  bool quiet = false;
  bool json_progress = false;
  bool fresh = false;
  std::string inject_failure;  // test only: "KIND:N[@R][+late]" (workers/sweep/task_executor.h) or "master:N"
  std::string shard;      // "I/K": run only shard I of K (orchestrator/sharding.h); "" the whole sweep
};

// Call between MPI start and finish, on every rank. Returns this rank's exit code.
int run_sweep_command(RunOptions options);

struct PlanOptions {
  std::string spec_path;
  std::string out_path;
  bool list_tasks = true;
  std::string shard;  // "I/K": only that shard's tasks
  bool check_data = true;  // false: the file alone (--without-data), no data file opened
};

int run_plan_command(const PlanOptions& options);

// The output and run-directory defaults shared by the commands. A shard's default output is
// <sweep name>.shard<I>-of-<K>.h5.
std::string default_out_path(const std::string& sweep_name, const std::string& shard = "");
std::string default_run_dir(const std::string& out_path);

}  // namespace fineprune
