// `fineprune run`: rank 0 is the master, the other ranks form worker groups.
#include <torch/torch.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cli/sweep_commands.h"
#include "cli/thread_count.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/input_files.h"
#include "orchestrator/master.h"
#include "messaging/mpi_channel.h"
#include "messaging/protocol.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"
#include "common/stop_request.h"
#include "results/result_tables.h"
#include "slurm/launch_check.h"
#include "workers/data/input_check.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/sweep/worker_loop.h"

namespace fineprune {

namespace {

// Rank 0 reads the sweep file and sends its text to every rank, so all parse the same bytes.
std::string shared_spec_text(const std::string& path) {
  std::string text;
  int64_t size = -1;
  if (world_rank() == 0) {
    try {
      text = load_experiment_spec(path).source_text;
      size = static_cast<int64_t>(text.size());
    } catch (const InputError&) {
      size = -1;
    }
  }
  mpi_check(MPI_Bcast(&size, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  if (size < 0) return {};
  text.resize(static_cast<size_t>(size));
  mpi_check(MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return text;
}

// The libraries a sweep's numbers came from, for the result file's attributes.
std::map<std::string, std::string> library_versions() {
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int length = 0;
  MPI_Get_library_version(mpi, &length);
  std::string mpi_text(mpi, static_cast<size_t>(std::max(0, length)));
  mpi_text = mpi_text.substr(0, mpi_text.find_first_of(",\n"));  // "Open MPI v4.1.4"
  return {{"libtorch_version", TORCH_VERSION}, {"hdf5_version", hdf5_library_version()}, {"mpi_library", mpi_text}};
}

// Threads for a training rank: this node's cores shared by the training ranks on it.
int training_threads(int requested) {
  if (requested > 0) return requested;
  const NodePlace& node = node_place();
  const int trainers = std::max(1, node.local_size - (node.has_master ? 1 : 0));
  const int allowed = choose_thread_count(0);  // the cores this rank may run on
  const int node_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (allowed < node_cores && allowed < node_cores / trainers && world_rank() == 1) {
    // OpenMPI binds each rank to one core when it starts 1 or 2 ranks: a worker would then train
    // with one thread on a many-core node.
    std::cerr << "fineprune: warning: rank 1 may run on " << allowed << " of this node's " << node_cores
              << " cores (the launcher bound it), so it trains with " << std::max(1, allowed / trainers)
              << " threads instead of " << node_cores / trainers
              << ": launch with mpirun --bind-to none (or srun --cpu-bind=none)" << std::endl;
  }
  return std::max(1, allowed / trainers);
}

}  // namespace

int run_sweep_command(RunOptions options) {
  // SIGUSR1 / SIGTERM (Slurm's warning before a time limit, preemption) only set a flag: the
  // master stops dispatching and exits with kExitInterrupted; training stops at a safe point.
  install_stop_handlers();
  const int rank = world_rank();
  const int size = world_size();
  const auto fail = [&](const std::string& message) {
    if (rank == 0) std::cerr << "fineprune: error: " << message << std::endl;
    return kExitBadInput;
  };
  // First: N separate "rank 0 of 1" processes would each go on to complain about something else.
  try {
    if (const std::optional<std::string> mismatch = check_slurm_launch(size)) return fail(*mismatch);
  } catch (const InputError& e) {
    return fail(e.what());
  }
  Shard shard;
  try {
    if (!options.shard.empty()) shard = parse_shard(options.shard, "--shard");
  } catch (const InputError& e) {
    return fail(e.what());
  }
  if (size < 2) {
    return fail("`fineprune run` needs at least 2 MPI ranks (a master and a worker), got 1: "
                "launch it with mpirun -np N (N >= 2)");
  }
  if (options.ranks_per_worker < 1 || (size - 1) % options.ranks_per_worker != 0) {
    return fail("--ranks-per-worker " + std::to_string(options.ranks_per_worker) + " does not divide the " +
                std::to_string(size - 1) + " worker ranks (world size " + std::to_string(size) + " minus the master)");
  }
  const std::string text = shared_spec_text(options.spec_path);
  if (text.empty()) {
    // Rank 0 failed to read or validate it: say why there, once.
    if (rank == 0) load_experiment_spec(options.spec_path);
    return kExitBadInput;
  }
  const ExperimentSpec spec = parse_experiment_spec(text, options.spec_path);
  if (options.out_path.empty()) options.out_path = default_out_path(spec.name, options.shard);
  if (options.run_dir.empty()) options.run_dir = default_run_dir(options.out_path);

  // Every worker rank checks that it can use the all-reduce backend the file asks for before any
  // work starts (a rank without a GPU must not leave its group waiting); the first that cannot
  // says why, and every rank exits with the bad-input code.
  // Rank 0 checks the output's place and reads the data whole against the file: labels and
  // classes, image size against the model, the triggers and the targets (input_check.h). What
  // it finds would otherwise fail a task on every attempt, or worse, not fail at all.
  // Any exception must reach the all-reduce below: the other ranks already wait in it.
  std::string problem;
  int problem_code = kExitOk;
  try {
    if (rank != 0) check_parallel_backend(spec.parallel.backend, options.spec_path);
    if (rank == 0) {
      check_output_path(options.out_path);
      check_inputs(spec);
    }
  } catch (const InputError& e) {
    problem = e.what();
    problem_code = kExitBadInput;
  } catch (const std::exception& e) {
    problem = e.what();
    problem_code = kExitFailure;
  }
  int bad_rank = problem_code == kExitOk ? size : rank, first_bad = size;
  mpi_check(MPI_Allreduce(&bad_rank, &first_bad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  if (first_bad < size) {
    int code = problem_code;
    mpi_check(MPI_Bcast(&code, 1, MPI_INT, first_bad, MPI_COMM_WORLD), "MPI_Bcast");
    if (rank == first_bad) std::cerr << "fineprune: error: " << problem << std::endl;
    return code;
  }

  const int threads = training_threads(options.threads > 0 ? options.threads : static_cast<int>(spec.threads));
  MPI_Comm group;
  const int color = rank == 0 ? MPI_UNDEFINED : (rank - 1) / options.ranks_per_worker;
  mpi_check(MPI_Comm_split(MPI_COMM_WORLD, color, rank, &group), "MPI_Comm_split");

  if (rank == 0) {
    std::vector<int> leaders;
    for (int r = 1; r < size; r += options.ranks_per_worker) leaders.push_back(r);
    std::vector<Task> tasks;
    try {
      tasks = shard_tasks(expand_sweep(spec, FINEPRUNE_VERSION), shard);
    } catch (...) {
      // The workers already wait for their first task.
      for (int leader : leaders) send_text(MPI_COMM_WORLD, leader, kTagStop, "");
      throw;
    }
    if (!options.quiet) {
      std::cerr << "fineprune " FINEPRUNE_VERSION ": sweep " << spec.name
                << (shard.whole() ? std::string() : " shard " + shard.text()) << ": " << tasks.size()
                << " tasks, " << leaders.size() << " worker groups of " << options.ranks_per_worker
                << " ranks, " << threads << " threads per training rank; results in " << options.out_path
                << ", models in " << options.run_dir << std::endl;
    }
    MasterOptions mo;
    mo.out_path = options.out_path;
    mo.fresh = options.fresh;
    mo.max_attempts = options.max_attempts;
    mo.progress_interval_s = options.progress_interval_s;
    mo.quiet = options.quiet;
    mo.json_progress = options.json_progress;
    mo.shard = shard.whole() ? "all" : shard.text();
    mo.attributes = library_versions();
    if (options.inject_failure.rfind("master:", 0) == 0) mo.fail_after_outcomes = std::stoi(options.inject_failure.substr(7));
    return run_master(spec, tasks, leaders, mo);
  }
  torch::set_num_threads(threads);
  WorkerOptions wo;
  wo.run_dir = options.run_dir;
  wo.quiet = options.quiet;
  if (!options.inject_failure.empty() && options.inject_failure.rfind("master:", 0) != 0) {  // KIND[:N[@R]][+late]
    std::string text = options.inject_failure;
    const size_t plus = text.find("+late");
    wo.fault.late = plus != std::string::npos;
    if (wo.fault.late) text.erase(plus);
    const size_t colon = text.find(':');
    const size_t at = text.find('@');
    wo.fault.kind = text.substr(0, std::min(colon, at));
    wo.fault.attempts = colon == std::string::npos ? 1 : std::stoi(text.substr(colon + 1));
    wo.fault.rank = at == std::string::npos ? -1 : std::stoi(text.substr(at + 1));
  }
  run_worker(spec, group, wo);
  MPI_Comm_free(&group);
  return kExitOk;
}

}  // namespace fineprune
