// GPU checks (label gpu): skipped where LibTorch sees no CUDA device or NCCL was not built. Run on
// a GPU machine as one MPI rank (`mpiexec -n 1 test_parallel_gpu`); one GPU allows only a group
// of one, so these check the NCCL calls and CUDA training, not cross-GPU equivalence.
#include <gtest/gtest.h>
#include <mpi.h>

#include "common/config.h"
#include "common/experiment_spec.h"
#include "tests/parallel/parallel_fixtures.h"
#include "workers/parallel/all_reduce_factory.h"
#include "workers/training/trainer.h"
#if FINEPRUNE_HAVE_NCCL
#include "workers/parallel/nccl_all_reduce.h"
#endif

namespace fineprune {
namespace {

using parallel_test::flat_state;
using parallel_test::seeded_model;
using parallel_test::synthetic_set;

bool have_gpu() { return torch::cuda::is_available(); }

TEST(Gpu, AutoBackendTrainsOnTheGpuAndReturnsTheModelToTheCpu) {
  if (!have_gpu() || !nccl_built()) GTEST_SKIP() << "no CUDA device or no NCCL build";
  const GroupParallel g = make_group_parallel("auto", 25, MPI_COMM_SELF, "test.yaml");
  EXPECT_EQ(g.all_reduce, nullptr);  // a group of one needs no collective
  ASSERT_TRUE(g.context.device.is_cuda());
  const TensorSet data = synthetic_set(512, 1);
  TrainSpec spec;
  spec.epochs = 2;
  spec.batch_size = 64;
  auto on_cpu = seeded_model("small_cnn", 4);
  train_model(*on_cpu, data, spec, 9);
  auto on_gpu = seeded_model("small_cnn", 4);
  ExecutionContext context;
  context.parallel = g.context;
  const TrainStats stats = train_model(*on_gpu, data, spec, 9, context);
  EXPECT_TRUE(std::isfinite(stats.last_epoch_loss));
  for (const torch::Tensor& p : on_gpu->parameters()) EXPECT_FALSE(p.is_cuda());
  // cuDNN and CPU kernels round differently: the same training to a loose tolerance.
  const torch::Tensor a = flat_state(*on_cpu), b = flat_state(*on_gpu);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-2);
}

#if FINEPRUNE_HAVE_NCCL
TEST(Gpu, NcclSumsAndBroadcastsCudaAndCpuTensors) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  NcclAllReduce nccl(MPI_COMM_SELF);
  EXPECT_EQ(nccl.backend(), "nccl");
  EXPECT_EQ(nccl.size(), 1);
  EXPECT_GE(nccl.device_index(), 0);
  const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(nccl.device_index()));
  torch::Tensor x = torch::arange(1 << 20, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  const torch::Tensor before = x.clone();
  nccl.sum(x);  // a group of one: the sum is the tensor itself
  EXPECT_TRUE(torch::equal(x, before));
  torch::Tensor on_cpu = torch::full({7}, 3.0, torch::kFloat64);  // staged through the device
  nccl.sum(on_cpu);
  EXPECT_FALSE(on_cpu.is_cuda());
  EXPECT_TRUE(torch::equal(on_cpu, torch::full({7}, 3.0, torch::kFloat64)));
  torch::Tensor counts = torch::full({3}, int64_t{5}, torch::kInt64);
  nccl.broadcast(counts, 0);
  EXPECT_EQ(counts.sum().item<int64_t>(), 15);
}
#endif

}  // namespace
}  // namespace fineprune
