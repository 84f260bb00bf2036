// The real binary's `slurm`, `merge` and Slurm-related `run` checks: bad input exits 2 naming
// the flag or file, the script is written where promised and never overwritten silently.
#include <gtest/gtest.h>

#include <stdlib.h>

#include "cli_harness.h"

namespace fineprune::e2e {
namespace {

class SlurmCli : public ::testing::Test {
 protected:
  void SetUp() override {
    yaml_ = dir_.file("tiny.yaml");
    write_text(yaml_, tiny_experiment_yaml());  // one attack, one seed: one training
  }
  RunResult run(std::vector<std::string> args) { return run_fineprune(args, scratch_.path()); }
  std::string script() const { return dir_.file("tiny.run/e2e-tiny.sbatch"); }

  TempDir dir_, scratch_;
  std::string yaml_;
};

TEST_F(SlurmCli, WritesTheScriptIntoTheRunDirectory) {
  const RunResult r = run({"slurm", yaml_, "--out", dir_.file("tiny.h5"), "--cpus-per-task", "2", "--time", "1:00:00"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("wrote " + script() + ": 2 MPI ranks (1 master + 1 worker groups of 1)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("submit with: sbatch " + script()), std::string::npos) << r.out;
  const std::string text = read_bytes(script());
  EXPECT_NE(text.find("#SBATCH --ntasks=2\n"), std::string::npos);
  EXPECT_NE(text.find("#SBATCH --time=1:00:00\n"), std::string::npos);
  EXPECT_NE(text.find("sweep=" + yaml_ + "\n"), std::string::npos);
  EXPECT_NE(text.find("fineprune=/"), std::string::npos);  // an absolute path to the binary

  // The same flags again: nothing to do. Other flags: refused, then replaced with --force.
  EXPECT_EQ(run({"slurm", yaml_, "--out", dir_.file("tiny.h5"), "--cpus-per-task", "2", "--time", "1:00:00"}).exit_code, 0);
  const RunResult other = run({"slurm", yaml_, "--out", dir_.file("tiny.h5"), "--cpus-per-task", "3"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find(script() + ": exists and differs"), std::string::npos) << other.err;
  EXPECT_EQ(read_bytes(script()), text);
  const RunResult forced = run({"slurm", yaml_, "--out", dir_.file("tiny.h5"), "--cpus-per-task", "3", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(read_bytes(script() + ".old"), text);
  EXPECT_NE(read_bytes(script()).find("#SBATCH --cpus-per-task=3\n"), std::string::npos);
}

TEST_F(SlurmCli, BadFlagsExitTwoNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--nodes", "0"}, "--nodes 0:"},
      {{"--nodes", "many"}, "--nodes"},
      {{"--mem", "64GB"}, "--mem 64GB:"},
      {{"--time", "soon"}, "--time soon:"},
      {{"--launcher", "aprun"}, "--launcher aprun:"},
      {{"--gpus-per-node", "3", "--ranks-per-worker", "2"}, "--gpus-per-node 3:"},
      {{"--array", "2"}, "--array 2:"},  // one training: one shard at most
      {{"--partition", "a b"}, "--partition a b:"},
  };
  for (const auto& [flags, expected] : cases) {
    std::vector<std::string> args{"slurm", yaml_};
    args.insert(args.end(), flags.begin(), flags.end());
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << expected << "\n" << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << expected << "\n" << r.err;
  }
  EXPECT_FALSE(file_exists(dir_.file("tiny.run/e2e-tiny.sbatch")));
  const RunResult missing = run({"slurm", dir_.file("nope.yaml")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir_.file("nope.yaml")), std::string::npos) << missing.err;
}

TEST_F(SlurmCli, MergeRefusesMissingInputsAndExistingOutput) {
  const RunResult missing = run({"merge", dir_.file("all.h5"), dir_.file("shard0.h5")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir_.file("shard0.h5")), std::string::npos) << missing.err;
  write_text(dir_.file("all.h5"), "keep me");
  const RunResult exists = run({"merge", dir_.file("all.h5"), dir_.file("shard0.h5")});
  EXPECT_EQ(exists.exit_code, 2);
  EXPECT_NE(exists.err.find(dir_.file("all.h5") + ": already exists"), std::string::npos) << exists.err;
  EXPECT_EQ(read_bytes(dir_.file("all.h5")), "keep me");
}

TEST_F(SlurmCli, RunChecksShardAndSlurmTaskCount) {
  const RunResult shard = run({"run", yaml_, "--shard", "2/2"});
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_NE(shard.err.find("--shard 2/2: I must be less than K"), std::string::npos) << shard.err;

  // Started once by hand where Slurm planned 4 tasks: the classic "rank 0 of 1" mistake.
  ::setenv("SLURM_NTASKS", "4", 1);
  const RunResult alone = run({"run", yaml_});
  ::unsetenv("SLURM_NTASKS");
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("SLURM_NTASKS=4 but MPI's world size is 1"), std::string::npos) << alone.err;
}

}  // namespace
}  // namespace fineprune::e2e
