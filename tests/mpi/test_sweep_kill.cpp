// A sweep SIGKILLed mid-run (every process at once, as a node crash) and resumed ends with the
// same tables as an uninterrupted run: nothing lost, nothing duplicated.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

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

// Whether any training of the sweep has saved an epoch: <run dir>/state/<task key>/train.state.
bool some_epoch_saved(const std::string& run_dir) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(run_dir + "/state", ec)) {
    if (std::filesystem::exists(task.path() / "train.state")) return true;
  }
  return false;
}

// Slurm's warning before a time limit, outside Slurm: SIGUSR1 to mpiexec while the models train.
// The trainings stop at their next epoch boundary with their state saved, the master records
// nothing as failed and exits 3; the same command resumes from the saved epochs and ends with the
// tables of an uninterrupted run.
TEST_F(SweepMpi, StopSignalMidTrainingSavesEpochsAndTheRerunEndsWithTheSameTables) {
  // Eight epochs, so that the stop lands inside the trainings.
  std::string text = tiny_sweep_yaml("[1]");
  const std::string three = "training: {epochs: 3,";
  text.replace(text.find(three), three.size(), "training: {epochs: 8,");
  write_text(yaml_, text);
  const std::string whole = dir_.file("whole.h5"), stopped = dir_.file("stopped.h5");
  const RunResult reference_run = run_sweep(3, sweep_args(yaml_, whole), scratch_.path());
  ASSERT_EQ(reference_run.exit_code, 0) << reference_run.all();

  RunOptions options;
  const std::string run_dir = dir_.file("stopped.run");  // the default: the output name with .run for .h5
  options.signal_when = [&](const std::string&) { return some_epoch_saved(run_dir); };
  options.signal = SIGUSR1;
  const RunResult first = run_sweep(3, sweep_args(yaml_, stopped), scratch_.path(), options);
  ASSERT_TRUE(first.signalled) << first.all();
  EXPECT_EQ(first.exit_code, 3) << first.all();
  EXPECT_NE(first.out.find("sweep interrupted"), std::string::npos) << first.out;
  EXPECT_TRUE(some_epoch_saved(run_dir)) << "no training state left to resume from";
  const ResultFile partial = read_result_file(stopped);
  for (const TaskRow& t : partial.tasks) EXPECT_EQ(t.status, "done") << t.kind << " " << t.error;

  const RunResult second = run_sweep(3, sweep_args(yaml_, stopped), scratch_.path());
  ASSERT_EQ(second.exit_code, 0) << second.all();
  EXPECT_FALSE(some_epoch_saved(run_dir)) << "finished tasks leave no state behind";
  const ResultFile a = read_result_file(whole), b = read_result_file(stopped);
  expect_same_results(a.results, b.results, "stopped and resumed vs uninterrupted");
  expect_same_curves(a.curves, b.curves, "stopped and resumed vs uninterrupted");
}

}  // namespace
}  // namespace fineprune::mpi_test
