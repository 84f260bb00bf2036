// Harness of the MPI sweep tests: launches `mpiexec ... fineprune run` as its own process tree,
// watches it (progress, the master's CPU time), can SIGKILL all of it, and writes the sweep files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/support/temp_files.h"
#include "tiny_sweep.h"

namespace fineprune::mpi_test {

using test_support::file_exists;
using test_support::have_fashion_mnist;
using test_support::kFashionMnistDir;
using test_support::list_dir;
using test_support::read_bytes;
using test_support::TempDir;
using test_support::write_text;


struct RunResult {
  int exit_code = -1;       // mpiexec's exit status; -1 if it was killed or did not exit normally
  bool killed = false;      // the test killed it (kill_when said so)
  bool signalled = false;   // signal_when said so and the signal was sent
  bool timed_out = false;   // it ran past the timeout and was killed
  std::string out, err;     // its stdout and stderr
  double wall_s = 0;
  double master_cpu_s = -1;  // user+system CPU of rank 0, last sample before it ended; -1 if unseen
  double master_wall_s = 0;  // time between the first and the last sample of rank 0
  std::string all() const { return out + err; }
};

struct RunOptions {
  double timeout_s = 240;
  // Polled with the stdout so far, about every 50 ms: true kills the whole process tree at once
  // (SIGSTOP to every process first, then SIGKILL), as a node crash would.
  std::function<bool(const std::string& out)> kill_when;
  // Polled likewise until it first says true: then `signal` goes to mpiexec alone (which
  // forwards SIGUSR1 and SIGUSR2 to every rank), once.
  std::function<bool(const std::string& out)> signal_when;
  int signal = 0;
};

// Runs `mpiexec --oversubscribe -n <ranks> fineprune run <args...>` in its own process group,
// stdout and stderr to files in `scratch` (not the folder a test inspects), stdin /dev/null.
RunResult run_sweep(int ranks, const std::vector<std::string>& args, const std::string& scratch,
                    const RunOptions& options = {});

// Runs `fineprune <args...>` without MPI (e.g. `plan`).
RunResult run_fineprune(const std::vector<std::string>& args, const std::string& scratch);

// The "done" count of the last complete --progress-json line in `out`; -1 if there is none.
int last_progress_done(const std::string& out);

}  // namespace fineprune::mpi_test
