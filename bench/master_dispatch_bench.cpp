// Master dispatch rate with empty tasks: how many tasks per second the sweep master (rank 0) can
// hand out and record when the work itself costs nothing. Every other rank plays a worker-group
// leader that answers each assignment at once with an empty outcome, over the real protocol; the
// master is the real run_master, HDF5 writer and all (one `tasks` row and one flush per task).
//
//   mpirun -np 1+L build/bench/master_dispatch_bench TASKS OUT.h5
//
// Prints tasks/s and the master's CPU time. No torch.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "common/process_cpu.h"
#include "common/hash.h"
#include "orchestrator/master.h"
#include "messaging/mpi_channel.h"
#include "messaging/protocol.h"

namespace fp = fineprune;

namespace {

std::vector<fp::Task> empty_tasks(size_t n) {
  std::vector<fp::Task> tasks(n);
  for (size_t i = 0; i < n; ++i) {
    fp::Task& t = tasks[i];
    t.key = fp::sha256_hex("dispatch-bench-task-" + std::to_string(i));
    t.kind = fp::TaskKind::Curve;
    t.attack = "bench";
    t.seed = static_cast<int64_t>(i);
    t.cost = 1.0;
  }
  return tasks;
}

void fake_leader() {
  const std::string host = fp::host_name();
  for (;;) {
    fp::send_text(MPI_COMM_WORLD, 0, fp::kTagRequest, "");
    const fp::Message m = fp::wait_receive(MPI_COMM_WORLD, 0);
    if (m.tag == fp::kTagStop) return;
    fp::TaskOutcome outcome;
    outcome.key = fp::decode_assignment(m.text).task.key;
    outcome.host = host;
    fp::send_text(MPI_COMM_WORLD, 0, fp::kTagDone, fp::encode_outcome(outcome));
  }
}

}  // namespace

int main(int argc, char** argv) {
  fp::mpi_start(&argc, &argv);
  if (argc != 3 || fp::world_size() < 2) {
    if (fp::world_rank() == 0) std::cerr << "usage: mpirun -np 1+LEADERS " << argv[0] << " TASKS OUT.h5\n";
    fp::mpi_finish();
    return 2;
  }
  const size_t n = std::stoul(argv[1]);
  if (fp::world_rank() != 0) {
    fake_leader();
    fp::mpi_finish();
    return 0;
  }
  const fp::ExperimentSpec spec = fp::load_experiment_spec(FINEPRUNE_SOURCE_DIR "/configs/fmnist-experiment.yaml");
  std::vector<int> leaders;
  for (int r = 1; r < fp::world_size(); ++r) leaders.push_back(r);
  fp::MasterOptions options;
  options.out_path = argv[2];
  options.fresh = true;
  options.quiet = true;
  options.progress_interval_s = 1e9;
  const std::vector<fp::Task> tasks = empty_tasks(n);
  const double cpu0 = fp::process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = fp::run_master(spec, tasks, leaders, options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = fp::process_cpu_seconds() - cpu0;
  std::printf("tasks %zu  leaders %zu  wall %.3f s  rate %.0f tasks/s  master cpu %.3f s (%.0f%% of a core)  exit %d\n",
              n, leaders.size(), wall, static_cast<double>(n) / wall, cpu, 100.0 * cpu / wall, rc);
  fp::mpi_finish();
  return rc;
}
