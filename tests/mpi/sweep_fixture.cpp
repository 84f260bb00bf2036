// Fixture of the MPI sweep tests: common arguments and the shared reference run.
#include "sweep_fixture.h"

#include <cstdio>
#include <memory>

namespace fineprune::mpi_test {

std::vector<std::string> sweep_args(const std::string& yaml, const std::string& out,
                                    const std::vector<std::string>& more) {
  std::vector<std::string> args{yaml, "--out", out, "--threads", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

const Baseline& baseline() {
  // Lives until exit, as does its folder; ctest runs each test in its own process, so a test
  // pays for this run only if it uses it.
  static TempDir dir;
  static std::unique_ptr<Baseline> b;
  if (b) return *b;
  b = std::make_unique<Baseline>();
  b->yaml_path = dir.file("tiny.yaml");
  b->out_path = dir.file("tiny.h5");
  write_text(b->yaml_path, tiny_sweep_yaml());
  TempDir scratch;
  b->run = run_sweep(3, sweep_args(b->yaml_path, b->out_path), scratch.path());
  try {
    b->file = read_result_file(b->out_path);
  } catch (const std::exception& e) {
    b->read_error = std::string("reference run: cannot read its output: ") + e.what();
  }
  report_master_cpu(b->run, "reference run -np 3");
  return *b;
}

void report_master_cpu(const RunResult& r, const std::string& what) {
  if (r.master_cpu_s < 0) {
    std::printf("[ info     ] %s: rank 0 not sampled; wall %.1f s\n", what.c_str(), r.wall_s);
    return;
  }
  const double share = r.master_wall_s > 0 ? 100.0 * r.master_cpu_s / r.master_wall_s : 0;
  std::printf("[ info     ] %s: wall %.1f s; master (rank 0) CPU %.2f s over %.1f s alive (%.1f%% of a core)\n",
              what.c_str(), r.wall_s, r.master_cpu_s, r.master_wall_s, share);
  std::fflush(stdout);
}

}  // namespace fineprune::mpi_test
