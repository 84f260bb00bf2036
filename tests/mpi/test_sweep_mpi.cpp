// `fineprune run` under mpiexec on the tiny sweep: groups, resume, refused inputs, retries, plan.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "common/file_lock.h"
#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

namespace fs = std::filesystem;

std::map<std::string, size_t> count_by(const std::vector<TaskRow>& tasks, const std::string& status) {
  std::map<std::string, size_t> n;
  for (const TaskRow& t : tasks) {
    if (status.empty() || t.status == status) ++n[t.kind];
  }
  return n;
}

TEST_F(SweepMpi, TwoGroupsOfOneRunTheWholeSweep) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const ResultFile& f = b.file;
  EXPECT_EQ(f.tasks.size(), kTinyTasks);
  EXPECT_EQ(f.results.size(), kTinyResultRows);
  EXPECT_EQ(f.curves.size(), kTinyCurveRows);
  for (const TaskRow& t : f.tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
    EXPECT_EQ(t.attempts, 1) << t.kind << " " << t.attack << " seed " << t.seed;
  }
  const std::map<std::string, size_t> kinds = count_by(f.tasks, "done");
  EXPECT_EQ(kinds, (std::map<std::string, size_t>{{"train", 4}, {"curve", 4}, {"finetune", 4}, {"fineprune", 8}}));
  EXPECT_EQ(done_task_keys(f.tasks).size(), kTinyTasks);
  expect_consistent(f, "-np 3");
  // The sweep's file says what made its numbers.
  EXPECT_EQ(f.attributes.at("sweep_yaml"), tiny_sweep_yaml());
  EXPECT_EQ(f.attributes.at("libtorch_version").rfind("1.", 0), 0u) << f.attributes.at("libtorch_version");
  EXPECT_NE(f.attributes.at("hdf5_version").find('.'), std::string::npos);
  EXPECT_NE(f.attributes.at("mpi_library").find("MPI"), std::string::npos) << f.attributes.at("mpi_library");

  // The models learned something (else equal tables below would prove little), and the rows
  // differ from each other.
  std::set<double> clean_accs;
  for (const ResultRow& r : f.results) {
    clean_accs.insert(r.clean_acc);
    if (r.defense == "none") EXPECT_GT(r.clean_acc, 0.5) << r.attack << " seed " << r.seed;
  }
  EXPECT_GT(clean_accs.size(), kTinyResultRows / 2);
  EXPECT_NE(b.run.all().find("20/20 done"), std::string::npos) << b.run.all();
}

TEST_F(SweepMpi, TwoGroupsOfTwoTrainDataParallelToTheSameResults) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(5, sweep_args(yaml_, out, {"--ranks-per-worker", "2"}), scratch_.path());
  report_master_cpu(r, "-np 5 --ranks-per-worker 2");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("2 worker groups of 2 ranks"), std::string::npos) << r.err;
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(done_task_keys(f.tasks).size(), kTinyTasks);
  expect_consistent(f, "-np 5 -R 2");
  // Groups of two train data-parallel: the same training as one rank up to rounding (after 10
  // steps the weights agree to 1e-5, tests/parallel), which SGD amplifies over the sweep's
  // hundreds of steps, as a different thread count does. Measured: mean differences 0.013
  // (accuracies) and 0.021 (ASR) over the 24 rows; one rank with 2 threads against 1 thread
  // differs by 0.014 and 0.025.
  expect_close_results(b.file.results, f.results, "-np 5 -R 2 vs -np 3", 0.03, 0.06);
}

TEST_F(SweepMpi, RerunResumesWithoutRecomputing) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  // The reference output, resumed here by the same command line (its own --out).
  const std::string out = dir_.file("tiny.h5");
  fs::copy_file(b.out_path, out);
  const RunResult r = run_sweep(3, sweep_args(yaml_, out), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.all().find("20/20 done (20 resumed)"), std::string::npos) << r.all();
  const ResultFile after = read_result_file(out);
  expect_identical_tables(b.file, after, "after a resume with nothing to do");
  EXPECT_FALSE(file_exists(out + ".resume.tmp"));
}

TEST_F(SweepMpi, OutputOfAnotherSweepNeedsFresh) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const std::string out = dir_.file("tiny.h5");
  fs::copy_file(b.out_path, out);
  const std::string bytes = read_bytes(out);
  const std::string other = dir_.file("other.yaml");
  write_text(other, tiny_sweep_yaml("[3]"));

  const RunResult refused = run_sweep(3, sweep_args(other, out), scratch_.path());
  EXPECT_EQ(refused.exit_code, 2) << refused.all();
  EXPECT_NE(refused.err.find("--fresh"), std::string::npos) << refused.err;
  EXPECT_TRUE(read_bytes(out) == bytes) << "a refused run changed the output file";

  const RunResult fresh = run_sweep(3, sweep_args(other, out, {"--fresh"}), scratch_.path());
  ASSERT_EQ(fresh.exit_code, 0) << fresh.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.tasks.size(), kTinyTasks / 2);
  EXPECT_EQ(done_task_keys(f.tasks).size(), kTinyTasks / 2);
  EXPECT_EQ(f.results.size(), kTinyResultRows / 2);
  for (const ResultRow& r : f.results) EXPECT_EQ(r.seed, 3) << "a row of the old sweep survived --fresh";
  expect_consistent(f, "--fresh");
  EXPECT_EQ(f.attributes.at("sweep_yaml"), read_bytes(other));
  EXPECT_FALSE(file_exists(out + ".fresh.tmp"));
}

TEST_F(SweepMpi, FailedAttemptsAreRetried) {
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(3, sweep_args(yaml_, out, {"--inject-failure", "curve:1"}), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("injected failure"), std::string::npos) << "the failures are not logged:\n" << r.err;
  const ResultFile f = read_result_file(out);
  ASSERT_EQ(f.tasks.size(), kTinyTasks);
  for (const TaskRow& t : f.tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
    EXPECT_EQ(t.attempts, t.kind == "curve" ? 2 : 1) << t.kind << " " << t.attack << " seed " << t.seed;
    // A retried task keeps why its failed attempt failed.
    EXPECT_EQ(t.error, t.kind == "curve" ? "attempt 1 failed: injected failure (test option) in attempt 1" : "")
        << t.kind;
  }
  EXPECT_EQ(f.results.size(), kTinyResultRows);
  EXPECT_EQ(f.curves.size(), kTinyCurveRows);
  expect_consistent(f, "after retries");
}

// One group of two ranks whose trainings fail once on rank 1 only (`--inject-failure
// train:1@1<stage>`): the sweep must end as an uninterrupted one, each training in 2 attempts.
RunResult run_with_failures_on_rank_one(const std::string& yaml, const std::string& out, const std::string& scratch,
                                        const std::string& stage) {
  const RunResult r = run_sweep(
      3, sweep_args(yaml, out, {"--ranks-per-worker", "2", "--inject-failure", "train:1@1" + stage}), scratch);
  EXPECT_FALSE(r.timed_out) << "the group hung:\n" << r.all();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.tasks.size(), kTinyTasks);
  for (const TaskRow& t : f.tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << " seed " << t.seed << ": " << t.error;
    EXPECT_EQ(t.attempts, t.kind == "train" ? 2 : 1) << t.kind << " " << t.attack << " seed " << t.seed;
  }
  EXPECT_EQ(f.results.size(), kTinyResultRows);
  expect_consistent(f, "after failures on one rank" + stage);
  return r;
}

// A training that fails on the second rank of a group of two only (a file one node cannot read):
// the leader, waiting in a collective, gives up too and reports that rank's error; the retry runs
// on the reconnected group.
TEST_F(SweepMpi, FailureOnOneRankOfAGroupIsRetried) {
  const RunResult r = run_with_failures_on_rank_one(yaml_, dir_.file("tiny.h5"), scratch_.path(), "");
  EXPECT_NE(r.err.find("on rank 1 of the worker group: injected failure"), std::string::npos)
      << "the member's failure is not reported:\n" << r.err;
}

// A failure on one rank after the model was trained but before that rank kept it in memory: the
// leader kept it. Were the caches left to differ, the retry would have the leader skip a
// collective the member makes (hanging the group); the group drops them after a failure.
TEST_F(SweepMpi, LateFailureOnOneRankLeavesNoCacheBehind) {
  run_with_failures_on_rank_one(yaml_, dir_.file("tiny.h5"), scratch_.path(), "+late");
}

// The master itself fails mid-sweep (here a test option; a full disk, a malformed message): the
// leaders may be in a task and cannot be stopped cleanly, so the job ends instead of hanging.
// What was recorded stays readable, and the same command resumes to the whole sweep.
TEST_F(SweepMpi, MasterFailureEndsTheJobAndKeepsWhatWasWritten) {
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(3, sweep_args(yaml_, out, {"--inject-failure", "master:3"}), scratch_.path());
  ASSERT_FALSE(r.timed_out) << "the job hung after the master failed:\n" << r.all();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("injected master failure"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ends the whole job"), std::string::npos) << r.err;
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(done_task_keys(f.tasks).size(), 3u);
  expect_consistent(f, "after the master's failure");

  const RunResult again = run_sweep(3, sweep_args(yaml_, out), scratch_.path());
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.all().find("20/20 done (3 resumed)"), std::string::npos) << again.all();
  expect_consistent(read_result_file(out), "resumed after the master's failure");
}

// A second run aimed at an output another process writes (a batch script submitted twice) is
// refused before it touches the file.
TEST_F(SweepMpi, OutputAnotherRunWritesIsRefused) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const std::string out = dir_.file("tiny.h5");
  fs::copy_file(b.out_path, out);
  const std::string before = read_bytes(out);
  RunResult r;
  {
    FileLock held(out + ".lock", out, "host test, pid 4242");  // as a running master holds it
    r = run_sweep(3, sweep_args(yaml_, out), scratch_.path());
  }
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find(out + ": another fineprune run is writing it (host test, pid 4242"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_bytes(out), before) << "the refused run changed the file";
}

// Bad sweep files under `run`: every rank stops before any work with exit code 2, the message
// names the file and the key, and no output is written. A missing data file is found up front
// too, rather than failing every training on every attempt.
TEST_F(SweepMpi, BadSweepFilesStopEveryRankNamingTheKey) {
  const auto replaced = [](std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  };
  const std::string tiny = tiny_sweep_yaml();
  const struct {
    const char* name;
    std::string yaml;
    std::string expected;
  } cases[] = {
      {"malformed", "name: tiny\nattacks: [\n", "bad.yaml"},
      {"duplicate rate", replaced(tiny, "rates: [0.5]", "rates: [0.5, 0.5]"), "pruning.rates[1]: duplicate pruning rate"},
      {"unknown trigger", replaced(tiny, "type: patch", "type: laser"), "attacks[0].trigger.type"},
      {"missing data", replaced(tiny, kFashionMnistDir, "/nonexistent-data"),
       "data.train_images: cannot read '/nonexistent-data/"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string yaml = dir_.file("bad.yaml");
    write_text(yaml, c.yaml);
    const std::string out = dir_.file("bad.h5");
    const RunResult r = run_sweep(3, sweep_args(yaml, out), scratch_.path());
    EXPECT_EQ(r.exit_code, 2) << r.all();
    EXPECT_NE(r.err.find(yaml), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(file_exists(out));
  }
}

// Per-attack overrides: blended fine-prunes at its own rate and fine-tunes longer; badnets keeps
// the file's settings, so its rows (same keys) are the reference run's to the bit.
TEST_F(SweepMpi, AttackOverridesApplyToThatAttackOnly) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const std::string blended = "    trigger: {type: blend, alpha: 0.2}\n";
  const std::string yaml = with_replaced(
      tiny_sweep_yaml(), blended,
      blended + "    overrides: {pruning: {rates: [0.25], max_val_drop: [0.04, 0.3]}, finetune: {epochs: 2}}\n");
  const std::string file = dir_.file("overrides.yaml");
  write_text(file, yaml);
  const std::string out = dir_.file("overrides.h5");
  const RunResult r = run_sweep(3, sweep_args(file, out), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(done_task_keys(f.tasks).size(), kTinyTasks + 2);  // blended: a second stop per seed
  std::map<int64_t, std::set<double>> blended_stops;  // seed -> thresholds of its fineprune rows
  for (const ResultRow& row : f.results) {
    if (row.attack == "blended" && row.defense == "fineprune" && row.prune_mode == "stop") {
      blended_stops[row.seed].insert(row.stop_drop);
    }
  }
  for (const auto& [seed, drops] : blended_stops) EXPECT_EQ(drops, (std::set<double>{0.04, 0.3})) << seed;
  EXPECT_EQ(blended_stops.size(), 2u);
  // The tasks table: a stop task's threshold in stop_drop, a rate task's rate in prune_rate.
  for (const TaskRow& t : f.tasks) {
    if (t.prune_mode == "stop") {
      EXPECT_EQ(t.prune_rate, 0.0) << t.key;
      EXPECT_TRUE(t.stop_drop == 0.04 || t.stop_drop == 0.3) << t.key << " " << t.stop_drop;
    } else if (t.prune_mode == "rate") {
      EXPECT_EQ(t.stop_drop, 0.0) << t.key;
      EXPECT_TRUE(t.prune_rate == 0.25 || t.prune_rate == 0.5) << t.key << " " << t.prune_rate;
    }
  }
  std::map<std::string, const ResultRow*> reference_by_key;
  for (const ResultRow& row : b.file.results) reference_by_key[row.key + row.defense + row.prune_mode] = &row;
  size_t same = 0;
  for (const ResultRow& row : f.results) {
    if (row.defense == "fineprune" && row.prune_mode == "rate") {
      EXPECT_EQ(row.prune_rate, row.attack == "blended" ? 0.25 : 0.5) << row.attack;
    }
    const auto ref = reference_by_key.find(row.key + row.defense + row.prune_mode);
    if (row.attack == "badnets") {
      ASSERT_NE(ref, reference_by_key.end()) << "a badnets task changed its key";
      EXPECT_EQ(row.clean_acc, ref->second->clean_acc);
      EXPECT_EQ(row.asr, ref->second->asr);
      ++same;
    } else if (row.defense == "finetune" || row.defense == "fineprune") {
      EXPECT_EQ(ref, reference_by_key.end()) << "a blended defense kept its key: " << row.defense;
    }
  }
  EXPECT_EQ(same, kTinyResultRows / 2);
  // The report names each stop by its threshold.
  const RunResult report = run_fineprune({"report", out}, scratch_.path());
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("| blended | fineprune | stop 30pt | 2 |"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("| badnets | fineprune | stop 4pt | 2 |"), std::string::npos) << report.out;
}

TEST_F(SweepMpi, PermanentFailureBlocksDependents) {
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(
      3, sweep_args(yaml_, out, {"--inject-failure", "train:9", "--max-attempts", "2"}), scratch_.path());
  ASSERT_EQ(r.exit_code, 1) << r.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.tasks.size(), kTinyTasks);
  for (const TaskRow& t : f.tasks) {
    if (t.kind == "train") {
      EXPECT_EQ(t.status, "failed") << t.attack << " seed " << t.seed;
      EXPECT_EQ(t.attempts, 2) << t.attack << " seed " << t.seed;
      EXPECT_NE(t.error.find("injected failure"), std::string::npos) << t.error;
    } else {
      EXPECT_EQ(t.status, "blocked") << t.kind << " " << t.attack << " seed " << t.seed;
      EXPECT_EQ(t.attempts, 0) << t.kind << " " << t.attack << " seed " << t.seed;
    }
  }
  EXPECT_EQ(count_by(f.tasks, "failed")["train"], kTinyTrainTasks);
  EXPECT_TRUE(f.results.empty());
  EXPECT_TRUE(f.curves.empty());
  EXPECT_TRUE(done_task_keys(f.tasks).empty());

  // Re-running without the fault runs the failed and blocked tasks again: each task's row is
  // overwritten with its final state, so the table still has one row per task.
  const RunResult again = run_sweep(3, sweep_args(yaml_, out), scratch_.path());
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.all().find("20/20 done (0 resumed)"), std::string::npos) << again.all();
  const ResultFile g = read_result_file(out);
  EXPECT_EQ(g.tasks.size(), kTinyTasks);
  EXPECT_EQ(done_task_keys(g.tasks).size(), kTinyTasks);
  EXPECT_EQ(g.results.size(), kTinyResultRows);
  EXPECT_EQ(g.curves.size(), kTinyCurveRows);
  expect_consistent(g, "failed, then run again");
}

// result_tables.h: TaskRow::worker is the "rank of the worker (group) that ran it last". With
// -np 3 the groups are ranks 1 and 2 (rank 0 is the master and runs nothing).
// The master records the world rank of the group's leader (it once wrote the group index).
TEST_F(SweepMpi, TasksRecordTheRankOfTheirWorker) {
  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  std::set<int> workers;
  for (const TaskRow& t : b.file.tasks) workers.insert(t.worker);
  for (int w : workers) EXPECT_TRUE(w == 1 || w == 2) << "tasks row with worker " << w << ", not a worker rank";
}

TEST_F(SweepMpi, OneRankIsNotEnough) {
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(1, sweep_args(yaml_, out), scratch_.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("at least 2 MPI ranks"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(out));
}

TEST_F(SweepMpi, RanksPerWorkerMustDivideTheWorkerRanks) {
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(4, sweep_args(yaml_, out, {"--ranks-per-worker", "2"}), scratch_.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--ranks-per-worker 2 does not divide the 3 worker ranks"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(out));
}

TEST_F(SweepMpi, NcclWithoutAGpuStopsEveryRankBeforeAnyWork) {
  if (fs::exists("/dev/nvidia0")) GTEST_SKIP() << "a GPU is here";
  const std::string yaml = dir_.file("nccl.yaml");
  write_text(yaml, tiny_sweep_yaml() + "parallel: {backend: nccl}\n");
  const std::string out = dir_.file("tiny.h5");
  const RunResult r = run_sweep(3, sweep_args(yaml, out, {"--ranks-per-worker", "2"}), scratch_.path());
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find(yaml + ": parallel.backend: nccl was asked for"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(out));
}

TEST_F(SweepMpi, PlanCountsTasksAndWhatIsDone) {
  const RunResult before = run_fineprune({"plan", yaml_, "--out", dir_.file("none.h5"), "--summary"}, scratch_.path());
  ASSERT_EQ(before.exit_code, 0) << before.all();
  EXPECT_NE(before.out.find("tasks: 20 ("), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("4 train (0 done)"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("trainings: 4"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("no output yet; 0 of 20 tasks done"), std::string::npos) << before.out;
  EXPECT_FALSE(file_exists(dir_.file("none.h5")));

  const Baseline& b = reference();
  ASSERT_TRUE(b.read_error.empty());
  const std::string bytes = read_bytes(b.out_path);
  const RunResult after = run_fineprune({"plan", b.yaml_path, "--out", b.out_path}, scratch_.path());
  ASSERT_EQ(after.exit_code, 0) << after.all();
  EXPECT_NE(after.out.find("20 of 20 tasks done"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("4 train (4 done)"), std::string::npos) << after.out;
  EXPECT_TRUE(read_bytes(b.out_path) == bytes) << "plan changed the output file";
}

}  // namespace
}  // namespace fineprune::mpi_test
