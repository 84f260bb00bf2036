// main() of the MPI test programs: every rank runs every test (they call collectives together);
// ranks other than 0 print failures only. One training thread per rank, as on an oversubscribed node.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) GTEST_FLAG_SET(brief, true);  // before InitGoogleTest, which builds the printer
  testing::InitGoogleTest(&argc, argv);
  torch::set_num_threads(1);
  const int failed = RUN_ALL_TESTS();
  // Every rank's verdict decides: a failure seen on one rank only still fails the run.
  int any = failed != 0 ? 1 : 0, worst = 0;
  MPI_Allreduce(&any, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
