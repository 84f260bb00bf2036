// CLP, ANP and NAD as sweep tasks under mpiexec: one task and one row each per trained model, in
// the same tables as every other defense; a failed attempt is retried; and a sweep killed
// mid-run and resumed ends with the same tables as the uninterrupted one.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

std::string successors_yaml() {
  return with_replaced(tiny_sweep_yaml(), "pruning: {rates: [0.5]}\n",
                       "pruning: {rates: [0.5]}\n"
                       "defenses: [none, clp, anp, nad]\n"
                       "clp: {u: 1}\n"
                       "anp: {iterations: 20, batch_size: 32}\n"
                       "nad: {teacher_epochs: 1, epochs: 1}\n");
}

TEST_F(SweepMpi, SuccessorDefensesRunRetryAndResumeToTheSameTables) {
  const std::string yaml = dir_.file("successors.yaml");
  write_text(yaml, successors_yaml());
  // 2 attacks x 2 seeds x {train, curve, clp, anp, nad}.
  constexpr size_t kTasks = 20;

  // Uninterrupted, NAD's first attempt failing on purpose.
  const std::string a_out = dir_.file("a.h5");
  const RunResult a = run_sweep(3, sweep_args(yaml, a_out, {"--inject-failure", "nad:1"}), scratch_.path());
  ASSERT_EQ(a.exit_code, 0) << a.all();
  const ResultFile fa = read_result_file(a_out);
  expect_consistent(fa, "successors, uninterrupted");
  ASSERT_EQ(fa.tasks.size(), kTasks);
  for (const TaskRow& t : fa.tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
    EXPECT_EQ(t.attempts, t.kind == "nad" ? 2 : 1) << t.kind;
  }
  std::map<std::string, int> rows;
  for (const ResultRow& r : fa.results) {
    ++rows[r.defense];
    if (r.defense == "clp" || r.defense == "anp") EXPECT_GT(r.total_channels, 16) << "every conv is counted";
  }
  EXPECT_EQ(rows, (std::map<std::string, int>{{"none", 4}, {"clp", 4}, {"anp", 4}, {"nad", 4}}));

  // Killed after a third of its tasks, then resumed.
  const std::string b_out = dir_.file("b.h5");
  RunOptions options;
  options.kill_when = [](const std::string& text) { return last_progress_done(text) >= 7; };
  const RunResult killed = run_sweep(
      3, sweep_args(yaml, b_out, {"--progress-json", "--progress-interval", "0.2"}), scratch_.path(), options);
  EXPECT_TRUE(killed.killed) << "the sweep ended before 7 tasks were done:\n" << killed.all();
  const RunResult resumed = run_sweep(3, sweep_args(yaml, b_out), scratch_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.all();
  const ResultFile fb = read_result_file(b_out);
  expect_consistent(fb, "successors, killed and resumed");
  EXPECT_EQ(done_task_keys(fb.tasks), done_task_keys(fa.tasks));
  expect_same_results(fa.results, fb.results, "successors: killed and resumed vs uninterrupted");
}

}  // namespace
}  // namespace fineprune::mpi_test
