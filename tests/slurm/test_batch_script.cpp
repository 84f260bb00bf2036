// The sbatch script text: resource counts, flags, the launch line, arrays, and bad input naming
// the flag. No Slurm needed (label unit); `bash -n` checks the script parses.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <functional>

#include "common/error.h"
#include "slurm/batch_script.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

BatchOptions base() {
  BatchOptions o;
  o.sweep_name = "tiny";
  o.spec_path = "/data/sweeps/tiny.yaml";
  o.out_path = "/scratch/out/tiny.h5";
  o.run_dir = "/scratch/out/tiny.run";
  o.script_path = "/scratch/out/tiny.run/tiny.sbatch";
  o.binary = "/opt/fineprune/bin/fineprune";
  o.workdir = "/home/me";
  o.version = "0.1.0";
  o.trainings = 4;
  o.trainings_per_shard = 4;
  return o;
}

std::string script(const BatchOptions& o) { return batch_script(o, plan_batch(o)); }

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

TEST(BatchScript, CpuDefaultsOneWorkerGroupPerTraining) {
  const BatchOptions o = base();
  const BatchPlan p = plan_batch(o);
  EXPECT_EQ(p.worker_groups, 4);
  EXPECT_EQ(p.ntasks, 5);
  EXPECT_EQ(p.cpus_per_task, 4);
  EXPECT_EQ(p.signal_lead_s, 300);
  EXPECT_TRUE(p.shard_outputs.empty());
  const std::string s = batch_script(o, p);
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  for (const char* line : {"#SBATCH --job-name=fineprune-tiny", "#SBATCH --nodes=1", "#SBATCH --ntasks=5",
                           "#SBATCH --cpus-per-task=4", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@300",
                           "#SBATCH --open-mode=append", "#SBATCH --output=/scratch/out/tiny.run/slurm-%j.out",
                           "#SBATCH --chdir=/home/me", "out=/scratch/out/tiny.h5",
                           "export FINEPRUNE_EXPECTED_RANKS=\"$SLURM_NTASKS\"", "trap 'warned=1; forward_stop' USR1", "trap forward_stop TERM",
                           "if (( warned && status != 0 )); then",
                           "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0",
                           // Resubmitted, the new job counts every start; Slurm's count is not passed on.
                           "  sbatch --export=ALL,FINEPRUNE_RESUBMITS=$(( restarts + 1 )),SLURM_RESTART_COUNT=0 "
                           "\"$this_script\" && exit 0",
                           "exit \"$status\""}) {
    EXPECT_TRUE(has_line(s, line)) << "no line: " << line << "\n" << s;
  }
  EXPECT_NE(s.find("srun --mpi=pmix --cpus-per-task=\"$OMP_NUM_THREADS\" \"$fineprune\" \"${args[@]}\" &"),
            std::string::npos);
  for (const char* absent : {"--gpus-per-node", "--time", "--partition", "--account", "--qos", "--constraint",
                             "--mem", "--array", "--shard"}) {
    EXPECT_EQ(s.find(absent), std::string::npos) << absent;
  }
}

TEST(BatchScript, NodesAndWorkers) {
  BatchOptions o = base();
  o.nodes = 6;  // more nodes than trainings: one group per node at least
  EXPECT_EQ(plan_batch(o).worker_groups, 6);
  o.nodes = 1;
  o.workers = 2;
  o.ranks_per_worker = 3;
  o.cpus_per_task = 8;
  const BatchPlan p = plan_batch(o);
  EXPECT_EQ(p.worker_groups, 2);
  EXPECT_EQ(p.ntasks, 7);
  const std::string s = batch_script(o, p);
  EXPECT_TRUE(has_line(s, "#SBATCH --ntasks=7"));
  EXPECT_TRUE(has_line(s, "#SBATCH --cpus-per-task=8"));
  EXPECT_NE(s.find("--ranks-per-worker 3 --threads \"$OMP_NUM_THREADS\""), std::string::npos);
}

TEST(BatchScript, GpusOnePerWorkerRank) {
  BatchOptions o = base();
  o.nodes = 2;
  o.gpus_per_node = 4;
  o.ranks_per_worker = 2;
  const BatchPlan p = plan_batch(o);
  EXPECT_EQ(p.worker_groups, 4);
  EXPECT_EQ(p.ntasks, 9);
  const std::string s = batch_script(o, p);
  EXPECT_TRUE(has_line(s, "#SBATCH --gpus-per-node=4"));
  EXPECT_TRUE(has_line(s, "#SBATCH --nodes=2"));
  EXPECT_TRUE(has_line(s, "#SBATCH --ntasks=9"));
}

TEST(BatchScript, OptionalFlagsAndMpirun) {
  BatchOptions o = base();
  o.time = "1-02:00:00";
  o.partition = "gpu";
  o.account = "proj123";
  o.qos = "high";
  o.constraint = "a100&ib";
  o.mem = "64G";
  o.launcher = "mpirun";
  const std::string s = script(o);
  for (const char* line : {"#SBATCH --time=1-02:00:00", "#SBATCH --partition=gpu", "#SBATCH --account=proj123",
                           "#SBATCH --qos=high", "#SBATCH --constraint=a100&ib", "#SBATCH --mem=64G"}) {
    EXPECT_TRUE(has_line(s, line)) << line;
  }
  EXPECT_NE(s.find("mpirun -np \"$SLURM_NTASKS\" --bind-to none \"$fineprune\" \"${args[@]}\" &"), std::string::npos);
  EXPECT_EQ(s.find("srun"), std::string::npos);
}

TEST(BatchScript, SignalLeadFollowsTheTimeLimit) {
  BatchOptions o = base();
  o.time = "2:00:00";
  EXPECT_EQ(plan_batch(o).signal_lead_s, 300);
  EXPECT_EQ(plan_batch(o).time_s, 7200);
  o.time = "10";  // minutes: a quarter of it
  EXPECT_EQ(plan_batch(o).signal_lead_s, 150);
  o.signal_lead_s = 30;
  EXPECT_EQ(plan_batch(o).signal_lead_s, 30);
  EXPECT_TRUE(has_line(script(o), "#SBATCH --signal=B:USR1@30"));
}

TEST(BatchScript, ArrayOfShards) {
  BatchOptions o = base();
  o.array = 2;
  o.trainings_per_shard = 2;
  const BatchPlan p = plan_batch(o);
  EXPECT_EQ(p.worker_groups, 2);
  EXPECT_EQ(p.shard_outputs,
            (std::vector<std::string>{"/scratch/out/tiny.shard0-of-2.h5", "/scratch/out/tiny.shard1-of-2.h5"}));
  const std::string s = batch_script(o, p);
  EXPECT_TRUE(has_line(s, "#SBATCH --array=0-1"));
  EXPECT_TRUE(has_line(s, "#SBATCH --output=/scratch/out/tiny.run/slurm-%A_%a.out"));
  EXPECT_TRUE(has_line(s, "shard=\"${SLURM_ARRAY_TASK_ID}/2\""));
  EXPECT_TRUE(has_line(s, "out=/scratch/out/tiny\".shard${SLURM_ARRAY_TASK_ID}-of-2.h5\""));
  EXPECT_NE(s.find("--shard \"$shard\""), std::string::npos);
  EXPECT_NE(s.find("--array=\"$SLURM_ARRAY_TASK_ID\" \"$this_script\""), std::string::npos);
  EXPECT_NE(s.find("fineprune merge /scratch/out/tiny.h5 /scratch/out/tiny.shard0-of-2.h5"), std::string::npos);
}

TEST(BatchScript, RunArgumentsAreQuoted) {
  BatchOptions o = base();
  o.run_args = {"--progress-json", "--progress-interval", "0.5", "it's a value"};
  EXPECT_NE(script(o).find(" --progress-json --progress-interval 0.5 'it'\\''s a value')"), std::string::npos);
  EXPECT_EQ(shell_quote("/a/b-c_d.h5"), "/a/b-c_d.h5");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b$c"), "'a b$c'");
}

TEST(BatchScript, ParsesAsBash) {
  test_support::TempDir dir;
  BatchOptions o = base();
  o.array = 2;
  o.run_dir = "/tmp/with space/run";
  o.run_args = {"--quiet"};
  for (const std::string& launcher : {"srun", "mpirun"}) {
    o.launcher = launcher;
    const std::string path = dir.file("job-" + launcher + ".sbatch");
    test_support::write_text(path, script(o));
    EXPECT_EQ(std::system(("bash -n '" + path + "'").c_str()), 0) << launcher;
  }
}

// Bad flags: exit 2 in the CLI, and the message starts with the flag.
struct BadFlag {
  const char* flag;
  std::function<void(BatchOptions&)> set;
};

class BatchScriptBadFlag : public ::testing::TestWithParam<BadFlag> {};

TEST_P(BatchScriptBadFlag, NamesTheFlag) {
  BatchOptions o = base();
  GetParam().set(o);
  try {
    plan_batch(o);
    ADD_FAILURE() << "accepted a bad " << GetParam().flag;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(std::string(GetParam().flag) + " ", 0), 0u) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BatchScriptBadFlag,
    ::testing::Values(
        BadFlag{"--nodes", [](BatchOptions& o) { o.nodes = 0; }},
        BadFlag{"--ranks-per-worker", [](BatchOptions& o) { o.ranks_per_worker = 0; }},
        BadFlag{"--gpus-per-node", [](BatchOptions& o) { o.gpus_per_node = -1; }},
        BadFlag{"--gpus-per-node", [](BatchOptions& o) { o.gpus_per_node = 3; o.ranks_per_worker = 2; }},
        BadFlag{"--workers", [](BatchOptions& o) { o.gpus_per_node = 2; o.workers = 3; }},
        BadFlag{"--workers", [](BatchOptions& o) { o.workers = -2; }},
        BadFlag{"--cpus-per-task", [](BatchOptions& o) { o.cpus_per_task = -1; }},
        BadFlag{"--time", [](BatchOptions& o) { o.time = "1:xx"; }},
        BadFlag{"--time", [](BatchOptions& o) { o.time = "0"; }},
        BadFlag{"--signal-lead", [](BatchOptions& o) { o.time = "5"; o.signal_lead_s = 300; }},
        BadFlag{"--signal-lead", [](BatchOptions& o) { o.signal_lead_s = 70000; }},
        BadFlag{"--partition", [](BatchOptions& o) { o.partition = "gpu debug"; }},
        BadFlag{"--account", [](BatchOptions& o) { o.account = "$(rm -rf)"; }},
        BadFlag{"--qos", [](BatchOptions& o) { o.qos = "a\nb"; }},
        BadFlag{"--constraint", [](BatchOptions& o) { o.constraint = "x#y"; }},
        BadFlag{"--mem", [](BatchOptions& o) { o.mem = "64GB"; }},
        BadFlag{"--mem", [](BatchOptions& o) { o.mem = "G"; }},
        BadFlag{"--launcher", [](BatchOptions& o) { o.launcher = "aprun"; }},
        BadFlag{"--array", [](BatchOptions& o) { o.array = 5; }},  // 4 trainings
        BadFlag{"--array", [](BatchOptions& o) { o.array = -1; }},
        BadFlag{"-- --out", [](BatchOptions& o) { o.run_args = {"--out", "x.h5"}; }},
        BadFlag{"-- --shard=0/2", [](BatchOptions& o) { o.run_args = {"--shard=0/2"}; }}),
    [](const ::testing::TestParamInfo<BadFlag>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (char c : std::string(info.param.flag)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

}  // namespace
}  // namespace fineprune
