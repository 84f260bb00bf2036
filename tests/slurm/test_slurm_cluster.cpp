// fineprune on a real one-node Slurm cluster: the generated batch script runs a tiny sweep; a
// job warned with USR1 mid-run is requeued and finishes with every task once and the numbers of
// an uninterrupted job; a 2-shard job array merged equals the single job. Label slurm.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <regex>

#include "common/hash.h"
#include "results/result_tables.h"
#include "slurm_cluster.h"
#include "tests/mpi/sweep_tables.h"

namespace fineprune::slurm_test {
namespace {

using mpi_test::expect_consistent;
using mpi_test::expect_same_curves;
using mpi_test::expect_same_results;
using mpi_test::latest_task_rows;
using test_support::read_bytes;
using test_support::write_text;

const std::string kBinary = FINEPRUNE_BINARY;

// `fineprune slurm <yaml> <flags> --submit -- <run args>`; the job id, or "" (and a failure).
std::string submit(const std::string& yaml, const std::string& out, const std::string& flags,
                   const std::string& run_args = "--progress-json --progress-interval 0.2") {
  const Shell r = sh("'" + kBinary + "' slurm '" + yaml + "' --out '" + out + "' --cpus-per-task 1 " + flags +
                     " --submit -- " + run_args);
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.out, m, std::regex("submitted job ([0-9]+)"))) {
    ADD_FAILURE() << "fineprune slurm failed (exit " << r.exit_code << "):\n" << r.out;
    return "";
  }
  return m[1];
}

std::string describe(const std::vector<JobFields>& jobs) {
  std::string d;
  for (const JobFields& j : jobs) {
    for (const char* k : {"JobId", "ArrayTaskId", "JobState", "Reason", "Restarts", "ExitCode"}) {
      if (j.count(k) != 0) d += std::string(k) + "=" + j.at(k) + " ";
    }
    d += "\n";
  }
  return d.empty() ? "(Slurm does not know the job)" : d;
}

void expect_completed(const std::vector<JobFields>& jobs, const std::string& log, const Cluster& cluster) {
  ASSERT_FALSE(jobs.empty()) << "unknown job";
  for (const JobFields& j : jobs) {
    EXPECT_EQ(j.at("JobState"), "COMPLETED") << describe(jobs) << "log:\n" << log << "\nSlurm:\n"
                                              << cluster.log_tail();
    EXPECT_EQ(j.at("ExitCode"), "0:0") << describe(jobs);
  }
}

// One cluster per test process, and the uninterrupted single job the other tests compare with.
class SlurmCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = std::make_unique<Cluster>(); }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override {
    if (!test_support::have_fashion_mnist()) GTEST_SKIP() << "no Fashion-MNIST at " << test_support::kFashionMnistDir;
    if (!cluster_->skip_reason().empty()) GTEST_SKIP() << cluster_->skip_reason();
    ASSERT_TRUE(cluster_->error().empty()) << cluster_->error();
    yaml_ = dir_.file("tiny.yaml");
    write_text(yaml_, tiny_sweep_yaml());
  }

  struct Reference {
    std::string job, out, log;
    std::vector<JobFields> jobs;
    ResultFile file;
  };
  // The sweep as one uninterrupted job (srun launcher), run once per process.
  const Reference& reference() {
    if (reference_) return *reference_;
    reference_ = std::make_unique<Reference>();
    Reference& r = *reference_;
    r.out = reference_dir_->file("tiny.h5");
    write_text(reference_dir_->file("tiny.yaml"), tiny_sweep_yaml());
    r.job = submit(reference_dir_->file("tiny.yaml"), r.out, "--workers 2");
    const auto start = std::chrono::steady_clock::now();
    r.jobs = wait_job(r.job, 180);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ info     ] single job %s: %.1f s from submission to the end\n", r.job.c_str(), s);
    r.log = sh("cat '" + reference_dir_->path() + "'/tiny.run/slurm-*.out").out;
    try {
      r.file = read_result_file(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "reference job: " << e.what() << "\n" << r.log;
    }
    return r;
  }

  static std::unique_ptr<Cluster> cluster_;
  static std::unique_ptr<Reference> reference_;
  static std::unique_ptr<TempDir> reference_dir_;
  TempDir dir_;
  std::string yaml_;
};

std::unique_ptr<Cluster> SlurmCluster::cluster_;
std::unique_ptr<SlurmCluster::Reference> SlurmCluster::reference_;
std::unique_ptr<TempDir> SlurmCluster::reference_dir_ = std::make_unique<TempDir>("fineprune_slurm_ref");

TEST_F(SlurmCluster, BatchScriptRunsTheSweep) {
  const Reference& r = reference();
  expect_completed(r.jobs, r.log, *cluster_);
  EXPECT_NE(r.log.find("\"event\":\"summary\",\"done\":20,\"total\":20"), std::string::npos) << r.log;
  expect_consistent(r.file, "single job");
  const std::map<std::string, TaskRow> tasks = latest_task_rows(r.file.tasks);
  EXPECT_EQ(tasks.size(), kTinyTasks);
  for (const auto& [key, t] : tasks) EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << ": " << t.error;
  EXPECT_EQ(r.file.results.size(), kTinyResultRows);
  EXPECT_EQ(r.file.attributes.at("shard"), "all");
}

TEST_F(SlurmCluster, PreemptedJobIsRequeuedAndFinishesWithTheSameNumbers) {
  const Reference& ref = reference();
  const std::string out = dir_.file("tiny.h5");
  const std::string job = submit(yaml_, out, "--workers 2");
  ASSERT_FALSE(job.empty());
  const std::string log = dir_.file("tiny.run/slurm-" + job + ".out");
  // The warning Slurm sends ahead of a time limit, to the batch shell only (B:USR1), mid-run.
  ASSERT_TRUE(wait_for([&] { return test_support::file_exists(log) && last_progress_done(read_bytes(log)) >= 4; }, 120))
      << describe(job_info(job)) << (test_support::file_exists(log) ? read_bytes(log) : "(no log)");
  const Shell signal = sh("scancel --signal=USR1 --batch " + job);
  ASSERT_EQ(signal.exit_code, 0) << signal.out;
  const std::vector<JobFields> jobs = wait_job(job, 180);
  const std::string text = read_bytes(log);
  expect_completed(jobs, text, *cluster_);
  EXPECT_EQ(jobs.at(0).at("Restarts"), "1") << describe(jobs) << text;
  EXPECT_NE(text.find("sweep interrupted"), std::string::npos) << text;
  EXPECT_NE(text.find("requeueing job " + job), std::string::npos) << text;
  EXPECT_NE(text.find("start 2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"event\":\"summary\",\"done\":20,\"total\":20"), std::string::npos) << text;

  const ResultFile b = read_result_file(out);
  expect_consistent(b, "preempted and requeued");  // every task row once, no duplicate rows
  const std::map<std::string, TaskRow> tasks = latest_task_rows(b.tasks);
  EXPECT_EQ(tasks.size(), kTinyTasks);
  for (const auto& [key, t] : tasks) {
    EXPECT_EQ(t.status, "done") << t.kind << " " << t.attack << ": " << t.error;
    EXPECT_EQ(t.attempts, 1) << t.kind << " " << t.attack << ": an interruption used an attempt";
  }
  EXPECT_EQ(done_task_keys(b.tasks), done_task_keys(ref.file.tasks));
  expect_same_results(ref.file.results, b.results, "preempted vs uninterrupted job");
  expect_same_curves(ref.file.curves, b.curves, "preempted vs uninterrupted job");
}

// Where requeueing is not allowed (here `sbatch --no-requeue`; some sites forbid it), the warned
// job submits its own script again; the new job resumes and ends with the same numbers.
TEST_F(SlurmCluster, WithoutRequeueTheScriptResubmitsItself) {
  const Reference& ref = reference();
  const std::string out = dir_.file("tiny.h5");
  const Shell written = sh("'" + kBinary + "' slurm '" + yaml_ + "' --out '" + out +
                           "' --cpus-per-task 1 --workers 2 -- --progress-json --progress-interval 0.2");
  std::smatch script;
  ASSERT_TRUE(std::regex_search(written.out, script, std::regex("submit with: sbatch '?([^'\n]+)'?"))) << written.out;
  const Shell submitted = sh("sbatch --parsable --no-requeue '" + script[1].str() + "'");
  ASSERT_EQ(submitted.exit_code, 0) << submitted.out;
  const std::string job = submitted.out.substr(0, submitted.out.find_first_of(";\n"));
  const std::string log = dir_.file("tiny.run/slurm-" + job + ".out");
  ASSERT_TRUE(wait_for([&] { return test_support::file_exists(log) && last_progress_done(read_bytes(log)) >= 4; }, 120))
      << describe(job_info(job));
  ASSERT_EQ(sh("scancel --signal=USR1 --batch " + job).exit_code, 0);
  const std::vector<JobFields> first = wait_job(job, 180);
  const std::string text = read_bytes(log);
  expect_completed(first, text, *cluster_);  // it ends well: its work goes on in the new job
  EXPECT_EQ(first.at(0).at("Restarts"), "0") << describe(first);
  EXPECT_NE(text.find("requeue refused; submitting this script again"), std::string::npos) << text;
  std::smatch next;
  ASSERT_TRUE(std::regex_search(text, next, std::regex("Submitted batch job ([0-9]+)"))) << text;
  const std::vector<JobFields> second = wait_job(next[1], 180);
  const std::string second_log = read_bytes(dir_.file("tiny.run/slurm-" + next[1].str() + ".out"));
  expect_completed(second, second_log, *cluster_);
  EXPECT_NE(second_log.find("start 2"), std::string::npos) << second_log;  // counts the resubmission
  EXPECT_NE(second_log.find("\"event\":\"summary\",\"done\":20,\"total\":20"), std::string::npos) << second_log;

  const ResultFile b = read_result_file(out);
  expect_consistent(b, "resubmitted");
  EXPECT_EQ(done_task_keys(b.tasks), done_task_keys(ref.file.tasks));
  expect_same_results(ref.file.results, b.results, "resubmitted vs uninterrupted job");
}

TEST_F(SlurmCluster, CancelledJobStaysCancelled) {
  const std::string out = dir_.file("tiny.h5");
  const std::string job = submit(yaml_, out, "--workers 2");
  ASSERT_FALSE(job.empty());
  const std::string log = dir_.file("tiny.run/slurm-" + job + ".out");
  ASSERT_TRUE(wait_for([&] { return test_support::file_exists(log) && last_progress_done(read_bytes(log)) >= 2; }, 120))
      << describe(job_info(job));
  ASSERT_EQ(sh("scancel " + job).exit_code, 0);  // TERM to the batch shell and every rank
  const std::vector<JobFields> jobs = wait_job(job, 120);
  ASSERT_EQ(jobs.size(), 1u) << describe(jobs);
  EXPECT_EQ(jobs[0].at("JobState"), "CANCELLED") << describe(jobs);
  EXPECT_EQ(jobs[0].at("Restarts"), "0") << describe(jobs);
  // Nothing requeued or resubmitted, and the file resumes.
  EXPECT_TRUE(wait_for([] { return sh("squeue -h").out.empty(); }, 10)) << sh("squeue").out;
  const std::string text = read_bytes(log);
  EXPECT_EQ(text.find("requeueing"), std::string::npos) << text;
  EXPECT_EQ(text.find("submitting this script again"), std::string::npos) << text;
  const ResultFile f = read_result_file(out);
  expect_consistent(f, "cancelled job");
}

TEST_F(SlurmCluster, ArrayShardsMergeToTheSingleJobTables) {
  const Reference& ref = reference();
  const std::string out = dir_.file("tiny.h5");
  // Two allocations of 2 ranks (one worker each) side by side; mpirun as the launcher this time.
  const std::string job = submit(yaml_, out, "--array 2 --workers 1 --launcher mpirun");
  ASSERT_FALSE(job.empty());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<JobFields> jobs = wait_job(job, 180);
  std::printf("[ info     ] job array %s: %.1f s from submission to the end\n", job.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const std::string logs = sh("cat '" + dir_.path() + "'/tiny.run/slurm-*.out").out;
  ASSERT_EQ(jobs.size(), 2u) << describe(jobs);
  expect_completed(jobs, logs, *cluster_);

  const std::string s0 = dir_.file("tiny.shard0-of-2.h5"), s1 = dir_.file("tiny.shard1-of-2.h5");
  const ResultFile f0 = read_result_file(s0), f1 = read_result_file(s1);
  EXPECT_EQ(f0.attributes.at("shard"), "0/2");
  EXPECT_EQ(f1.attributes.at("shard"), "1/2");
  EXPECT_EQ(latest_task_rows(f0.tasks).size(), kTinyTasks / 2);  // 2 of the 4 trainings each
  EXPECT_EQ(latest_task_rows(f1.tasks).size(), kTinyTasks / 2);

  const Shell merge = sh("'" + kBinary + "' merge '" + out + "' '" + s0 + "' '" + s1 + "'");
  ASSERT_EQ(merge.exit_code, 0) << merge.out;
  EXPECT_NE(merge.out.find("merged 2 files into " + out + ": 20 tasks done"), std::string::npos) << merge.out;
  const ResultFile merged = read_result_file(out);
  expect_consistent(merged, "merged shards");
  EXPECT_EQ(done_task_keys(merged.tasks), done_task_keys(ref.file.tasks));
  expect_same_results(ref.file.results, merged.results, "merged shards vs single job");
  expect_same_curves(ref.file.curves, merged.curves, "merged shards vs single job");
  EXPECT_EQ(merged.attributes.at("sweep_fingerprint"), ref.file.attributes.at("sweep_fingerprint"));
}

// A sweep that names a received model (the reference job's badnets model, exported) runs as a
// Slurm job like any other: its training task loads the file instead of training, and its rows
// hold the reference job's numbers for that model.
TEST_F(SlurmCluster, SweepOfAReceivedModelRunsAsAJobWithTheReferenceNumbers) {
  const Reference& ref = reference();
  expect_completed(ref.jobs, ref.log, *cluster_);
  const std::string model = dir_.file("received.pt");
  const Shell exported = sh("'" + kBinary + "' export '" + reference_dir_->file("tiny.yaml") +
                            "' --attack badnets --seed 1 --run-dir '" + reference_dir_->file("tiny.run") +
                            "' --out '" + model + "'");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const std::string yaml = dir_.file("received.yaml");
  write_text(yaml, mpi_test::with_replaced(tiny_sweep_yaml("[1]"),
                                           "  - name: badnets\n    trigger: {type: patch, size: 3}\n"
                                           "  - name: blended\n    trigger: {type: blend, alpha: 0.2}\n",
                                           "  - name: badnets\n    trigger: {type: patch, size: 3}\n"
                                           "    model_file: " + model + "\n    model_sha256: " +
                                               sha256_hex(read_bytes(model)) + "\n"));
  const std::string out = dir_.file("received.h5");
  const std::string job = submit(yaml, out, "--workers 1");
  ASSERT_FALSE(job.empty());
  const std::vector<JobFields> jobs = wait_job(job, 180);
  expect_completed(jobs, sh("cat '" + dir_.path() + "'/received.run/slurm-*.out").out, *cluster_);
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(done_task_keys(f.tasks).size(), 5u);  // the import, curve, finetune, fineprune stop + rate
  size_t compared = 0;
  for (const ResultRow& row : f.results) {
    for (const ResultRow& theirs : ref.file.results) {
      if (theirs.attack != "badnets" || theirs.seed != 1 || theirs.defense != row.defense ||
          theirs.prune_mode != row.prune_mode || theirs.prune_rate != row.prune_rate ||
          theirs.stop_drop != row.stop_drop) {
        continue;
      }
      ++compared;
      EXPECT_EQ(row.clean_acc, theirs.clean_acc) << row.defense << " " << row.prune_mode;
      EXPECT_EQ(row.asr, theirs.asr) << row.defense << " " << row.prune_mode;
      EXPECT_EQ(row.train_wall_s, 0.0);
    }
  }
  EXPECT_EQ(compared, 6u);
}

}  // namespace
}  // namespace fineprune::slurm_test
