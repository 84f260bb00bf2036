// A sweep SIGKILLed mid-run (every process at once, as a node crash) and resumed ends with the
// same tables as an uninterrupted run: nothing lost, nothing duplicated.
#include <gtest/gtest.h>

#include <cstdio>

#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

// Starts (or resumes) the sweep into `out` and kills it once the master reports `kill_at` done
// tasks. Returns the done count of the last progress line before the kill.
int run_and_kill(const std::string& yaml, const std::string& out, int kill_at, const std::string& scratch) {
  RunOptions options;
  options.kill_when = [kill_at](const std::string& text) { return last_progress_done(text) >= kill_at; };
  const RunResult r =
      run_sweep(3, sweep_args(yaml, out, {"--progress-json", "--progress-interval", "0.2"}), scratch, options);
  EXPECT_TRUE(r.killed) << "the sweep ended (exit " << r.exit_code << ") before " << kill_at
                        << " tasks were done:\n" << r.all();
  const int done = last_progress_done(r.out);
  std::printf("[ info     ] killed at %d of %zu tasks done (%.1f s)\n", done, kTinyTasks, r.wall_s);
  std::fflush(stdout);
  return done;
}

TEST_F(SweepMpi, KilledSweepResumesToTheSameTables) {
  const Baseline& a = reference();
  ASSERT_TRUE(a.read_error.empty());
  const std::string out = dir_.file("b.h5");

  // Two crashes, the second one during the resumed session, then a resume to the end.
  const int first = run_and_kill(yaml_, out, 6, scratch_.path());
  ASSERT_GE(first, 6);
  const int second = run_and_kill(yaml_, out, 14, scratch_.path());
  ASSERT_GE(second, 14);

  const RunResult last = run_sweep(3, sweep_args(yaml_, out), scratch_.path());
  ASSERT_EQ(last.exit_code, 0) << last.all();
  const size_t summary = last.out.rfind("sweep finished");
  if (summary != std::string::npos) std::printf("[ info     ] %s", last.out.substr(summary).c_str());
  const size_t removed = last.err.find("resume: removed");
  if (removed != std::string::npos) std::printf("[ info     ] %s\n", last.err.substr(removed, 60).c_str());
  EXPECT_NE(last.out.find("20/20 done"), std::string::npos) << last.all();

  const ResultFile b = read_result_file(out);
  expect_consistent(b, "killed twice and resumed");
  const std::map<std::string, TaskRow> tasks = latest_task_rows(b.tasks);
  EXPECT_EQ(tasks.size(), kTinyTasks);
  for (const auto& [key, t] : tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
  }
  EXPECT_EQ(done_task_keys(b.tasks), done_task_keys(a.file.tasks));
  expect_same_results(a.file.results, b.results, "killed and resumed vs uninterrupted");
  expect_same_curves(a.file.curves, b.curves, "killed and resumed vs uninterrupted");
}

}  // namespace
}  // namespace fineprune::mpi_test
