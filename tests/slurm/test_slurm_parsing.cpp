// Slurm time limits and the launch check (world size against SLURM_NTASKS).
#include <gtest/gtest.h>

#include <stdlib.h>

#include "common/error.h"
#include "slurm/launch_check.h"
#include "slurm/time_limit.h"

namespace fineprune {
namespace {

TEST(TimeLimit, SlurmForms) {
  EXPECT_EQ(parse_time_limit("30", "--time"), 30 * 60);
  EXPECT_EQ(parse_time_limit("30:15", "--time"), 30 * 60 + 15);
  EXPECT_EQ(parse_time_limit("2:00:00", "--time"), 7200);
  EXPECT_EQ(parse_time_limit("1-12", "--time"), 86400 + 12 * 3600);
  EXPECT_EQ(parse_time_limit("1-0:30", "--time"), 86400 + 30 * 60);
  EXPECT_EQ(parse_time_limit("2-01:02:03", "--time"), 2 * 86400 + 3600 + 2 * 60 + 3);
}

TEST(TimeLimit, BadTextNamesTheFlag) {
  for (const char* bad : {"", "0", "0:00", "abc", "1:2:3:4", "1-", "-5", "1h", "infinite", "UNLIMITED", "1.5", ":30"}) {
    try {
      parse_time_limit(bad, "--time");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string("--time ") + bad + ":", 0), 0u) << e.what();
    }
  }
}

TEST(LaunchCheck, ExpectedRanks) {
  EXPECT_EQ(expected_ranks(nullptr, nullptr), std::nullopt);
  EXPECT_EQ(expected_ranks(nullptr, "8"), 8);
  EXPECT_EQ(expected_ranks("5", "8"), 5);  // the batch script's own count wins
  EXPECT_EQ(expected_ranks("0", "8"), std::nullopt);  // turned off
  EXPECT_THROW(expected_ranks(nullptr, "eight"), InputError);
  try {
    expected_ranks("-1", nullptr);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("FINEPRUNE_EXPECTED_RANKS=-1"), std::string::npos) << e.what();
  }
}

TEST(LaunchCheck, MismatchMessages) {
  EXPECT_EQ(launch_mismatch(8, 8, "SLURM_NTASKS"), std::nullopt);
  const std::string single = launch_mismatch(1, 8, "SLURM_NTASKS").value();
  EXPECT_EQ(single.rfind("SLURM_NTASKS=8 but MPI's world size is 1: ", 0), 0u) << single;
  EXPECT_NE(single.find("rank 0 of 1"), std::string::npos);
  EXPECT_NE(single.find("srun --mpi=pmix"), std::string::npos);
  const std::string fewer = launch_mismatch(3, 8, "FINEPRUNE_EXPECTED_RANKS").value();
  EXPECT_NE(fewer.find("mpirun -np $SLURM_NTASKS"), std::string::npos) << fewer;
  EXPECT_NE(fewer.find("FINEPRUNE_EXPECTED_RANKS=0 turns this check off"), std::string::npos);
}

TEST(LaunchCheck, ReadsTheEnvironment) {
  ::unsetenv("FINEPRUNE_EXPECTED_RANKS");
  ::setenv("SLURM_NTASKS", "4", 1);
  EXPECT_EQ(check_slurm_launch(4), std::nullopt);
  EXPECT_TRUE(check_slurm_launch(1).has_value());
  ::setenv("FINEPRUNE_EXPECTED_RANKS", "0", 1);
  EXPECT_EQ(check_slurm_launch(1), std::nullopt);
  ::unsetenv("FINEPRUNE_EXPECTED_RANKS");
  ::unsetenv("SLURM_NTASKS");
  EXPECT_EQ(check_slurm_launch(1), std::nullopt);
}

}  // namespace
}  // namespace fineprune
