// The sbatch script `fineprune slurm` writes: resources computed from the sweep and the flags, the
// launch line, and the preemption protocol (warning signal, forwarding, requeue or resubmit).
// Pure text generation: no Slurm, no MPI, no torch; tested by reading the text.
//
// Resources: rank 0 is the master; the other ranks form worker groups of ranks_per_worker ranks.
//   GPUs (gpus_per_node > 0): one GPU per worker rank, so nodes x gpus_per_node / ranks_per_worker
//     groups; --gpus-per-node is requested, the master's rank uses none.
//   CPUs: `workers` groups when given, else one per training of the largest shard (every
//     (attack, seed) trains at once, then each group runs its own model's defenses), at least one
//     per node.
//   ntasks = groups x ranks_per_worker + 1; each task gets cpus_per_task CPUs and as many threads.
// Preemption: --requeue and --signal=B:USR1@<lead> (default: 300 s, or a quarter of a shorter
//   --time). Only the batch shell gets that signal: it forwards SIGUSR1 to the launcher (srun and
//   mpirun pass it to every rank), waits, and when the run then ends unfinished (exit 3, or the
//   launcher failing while winding down) it requeues the job (scontrol requeue), or submits the
//   script again where requeueing is refused; at most `max_restarts` times. SIGTERM (scancel,
//   preemption) is forwarded as SIGUSR1 too, but never leads to a requeue.
// Arrays (array > 1): --array=0-<array-1>; task i runs `fineprune run --shard i/<array>` into its
//   own file <out stem>.shard<i>-of-<array>.h5, then `fineprune merge` combines them.
#pragma once

#include <string>
#include <vector>

namespace fineprune {

struct BatchOptions {
  // From the sweep and the program (absolute paths).
  std::string sweep_name;
  std::string spec_path;
  std::string out_path;        // the whole sweep's result file (an array's merged file)
  std::string run_dir;         // models, the script and the Slurm logs
  std::string script_path;     // where the script will be written (it resubmits itself)
  std::string binary;          // the fineprune executable
  std::string workdir;         // the job's working directory (--chdir)
  std::string version;         // fineprune's version, for the header
  size_t trainings_per_shard = 1;  // trainings of the largest shard (of the sweep if no array)
  size_t trainings = 1;            // trainings of the whole sweep (attacks x seeds)
  // From the flags; 0 or "" where not given.
  int nodes = 1;
  int gpus_per_node = 0;
  int ranks_per_worker = 1;
  int cpus_per_task = 0;   // default 4
  int workers = 0;         // worker groups; default from the sweep (see above)
  std::string time;        // Slurm time limit
  int signal_lead_s = 0;   // default: 300, or a quarter of --time when that is shorter
  std::string partition, account, qos, constraint, mem;
  std::string launcher = "srun";  // srun | mpirun
  int array = 0;           // shards; 0 or 1: one job
  int max_restarts = 20;
  std::vector<std::string> run_args;  // more arguments for `fineprune run`
};

// What the script will ask for, as computed (printed by the command and tested).
struct BatchPlan {
  int worker_groups = 0;
  int ntasks = 0;
  int cpus_per_task = 0;
  long time_s = 0;         // 0: no --time
  int signal_lead_s = 0;
  std::vector<std::string> shard_outputs;  // one per array task, in order; empty without --array
};

// Validates the options and computes the plan. Throws InputError "<--flag> <value>: <problem>"
// naming the flag.
BatchPlan plan_batch(const BatchOptions& options);

// The script's text.
std::string batch_script(const BatchOptions& options, const BatchPlan& plan);

// `text` quoted for bash when it needs it ('...' with ' written as '\'').
std::string shell_quote(const std::string& text);

}  // namespace fineprune
