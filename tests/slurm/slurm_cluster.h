// Harness of the `slurm` tests: a one-node Slurm cluster on localhost (slurm/testing/
// local-cluster.sh) in a temp folder, commands run through the shell, and job states read from
// `scontrol show job -o`.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/temp_files.h"
#include "tiny_sweep.h"  // tests/mpi, on the include path

namespace fineprune::slurm_test {

using test_support::TempDir;

// Output and exit code of a shell command (stdout and stderr together).
struct Shell {
  int exit_code = -1;
  std::string out;
};
Shell sh(const std::string& command);

// The tiny sweep of these tests is the MPI tests' (tests/mpi/tiny_sweep.h).
using mpi_test::tiny_sweep_yaml;
constexpr size_t kTinyTasks = 20;
constexpr size_t kTinyResultRows = 24;

// Starts the cluster in its own temp folder, on free ports, and sets SLURM_CONF (and Open MPI's
// run-as-root variables) in this process's environment, so sbatch, scontrol and the jobs see them.
class Cluster {
 public:
  Cluster();   // starts; check skip_reason() / error() afterwards
  ~Cluster();  // cancels what is left, stops the daemons by PID
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& skip_reason() const { return skip_; }  // Slurm missing and not installable
  const std::string& error() const { return error_; }        // it did not start (logs appended)
  std::string log_tail() const;  // the last lines of the daemons' logs, for failure messages

 private:
  TempDir dir_;
  std::string skip_, error_;
  bool started_ = false;
};

// One job (or array task) as `scontrol show job -o` prints it: "JobState", "Restarts",
// "ExitCode", "ArrayTaskId", ... Empty when Slurm no longer knows the job.
using JobFields = std::map<std::string, std::string>;
std::vector<JobFields> job_info(const std::string& job_id);

// Polls `done` every 100 ms until it returns true or `timeout_s` passes; returns its last value.
bool wait_for(const std::function<bool()>& done, double timeout_s);

// Waits until every task of the job is COMPLETED, FAILED, CANCELLED, TIMEOUT or another final
// state (a requeued job passes through PENDING again: the test cluster holds it for about 10 s,
// its cred_expire, where Slurm's default is 120 s). Returns the final fields of each task.
std::vector<JobFields> wait_job(const std::string& job_id, double timeout_s);

// The `done` count of the last complete --progress-json line in `text`; -1 if none.
int last_progress_done(const std::string& text);

}  // namespace fineprune::slurm_test
