// Which node-local rank the launcher's environment gives (messaging/mpi_channel.h): a GPU
// node's ranks pick their device by it, so a wrong answer puts every rank on GPU 0.
#include <gtest/gtest.h>

#include "messaging/mpi_channel.h"

namespace fineprune {
namespace {

TEST(LauncherLocalRank, SrunSaysItWithSlurmLocalId) {
  // srun started each rank: its SLURM_PROCID is the MPI world rank.
  EXPECT_EQ(launcher_local_rank(5, "5", "1", nullptr), 1);
  EXPECT_EQ(launcher_local_rank(5, "5", "1", "3"), 1);
}

TEST(LauncherLocalRank, MpirunInsideABatchJobIgnoresTheInheritedSlurmValues) {
  // Every rank inherits the batch step's SLURM_PROCID=0 and SLURM_LOCALID=0.
  EXPECT_EQ(launcher_local_rank(3, "0", "0", "2"), 2);
  EXPECT_EQ(launcher_local_rank(3, "0", "0", nullptr), -1);
}

TEST(LauncherLocalRank, PlainMpirunSaysItWithOmpiLocalRank) {
  EXPECT_EQ(launcher_local_rank(4, nullptr, nullptr, "1"), 1);
}

TEST(LauncherLocalRank, NothingOrNonsenseSaysNothing) {
  EXPECT_EQ(launcher_local_rank(0, nullptr, nullptr, nullptr), -1);
  EXPECT_EQ(launcher_local_rank(2, "2", "", ""), -1);
  EXPECT_EQ(launcher_local_rank(2, "2", "x", "-1"), -1);
  EXPECT_EQ(launcher_local_rank(2, "2", "1x", "7"), 7);
}

}  // namespace
}  // namespace fineprune
