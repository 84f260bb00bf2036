// Fixture of the MPI sweep tests: a temp folder per test, the tiny sweep file in it, and one
// uninterrupted reference run of the tiny sweep (-np 3) shared by the tests of one process.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "results/result_tables.h"
#include "sweep_harness.h"
#include "sweep_tables.h"

namespace fineprune::mpi_test {

// Sizes of the tiny sweep with seeds [1, 2]: 2 attacks x 2 seeds x {train, curve, finetune,
// fineprune stop, fineprune rate 0.5}.
constexpr size_t kTinyTasks = 20;
constexpr size_t kTinyTrainTasks = 4;
constexpr size_t kTinyResultRows = 24;  // per training: none, prune stop + rate, finetune, 2 fineprune
constexpr size_t kTinyCurveRows = 4 * (kTinyLastConvWidth + 1);  // 0..16 channels pruned, per training

// Arguments of every run of the tests: one torch thread per rank, so results do not depend on
// how many ranks share a node (torch's float sums depend on the thread count) and the runs stay
// light on a shared machine.
std::vector<std::string> sweep_args(const std::string& yaml, const std::string& out,
                                    const std::vector<std::string>& more = {});

// The reference run: `mpiexec -n 3 fineprune run tiny.yaml --out <dir>/tiny.h5`, once per process.
struct Baseline {
  std::string yaml_path;
  std::string out_path;
  RunResult run;
  ResultFile file;  // empty when the run did not produce a readable file
  std::string read_error;
};
const Baseline& baseline();

class SweepMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed at " << kFashionMnistDir;
    yaml_ = dir_.file("tiny.yaml");
    write_text(yaml_, tiny_sweep_yaml());
  }

  // The reference run, after asserting it succeeded.
  const Baseline& reference() {
    const Baseline& b = baseline();
    EXPECT_EQ(b.run.exit_code, 0) << "reference run failed:\n" << b.run.all();
    EXPECT_TRUE(b.read_error.empty()) << b.read_error;
    return b;
  }

  TempDir dir_;      // what the test inspects
  TempDir scratch_;  // captured streams
  std::string yaml_;
};

// Prints the master's CPU time of a run (measured, not asserted).
void report_master_cpu(const RunResult& r, const std::string& what);

}  // namespace fineprune::mpi_test
